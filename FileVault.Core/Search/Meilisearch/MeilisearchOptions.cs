using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Search.Meilisearch;

/// <summary>
/// Meilisearch as an optional search engine (docs/search.md, "Meilisearch"). With no <see cref="Url"/>, nothing of it
/// is registered and PostgreSQL answers every search.
/// </summary>
public sealed class MeilisearchOptions
{
    public const string Section = "FileVault:Search:Meilisearch";

    /// <summary>The server, e.g. http://meilisearch:7700; empty turns Meilisearch off.</summary>
    public string? Url { get; set; }

    /// <summary>Sent as a bearer token: the master key, or a key allowed to search, write documents and read tasks.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The index's uid.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,400}$")]
    public string Index { get; set; } = "filevault-entries";

    /// <summary>How long a search waits for Meilisearch before PostgreSQL answers instead.</summary>
    [Range(50, 60_000)]
    public int SearchTimeoutMs { get; set; } = 500;

    /// <summary>A change queued longer than this makes Meilisearch "behind": PostgreSQL answers until it catches up.</summary>
    [Range(1, 86_400)]
    public int MaxLagSeconds { get; set; } = 30;

    /// <summary>How often each instance sends queued changes; 0 turns sending off (the outbox then only grows).</summary>
    [Range(0, 3_600)]
    public double IndexIntervalSeconds { get; set; } = 1;

    /// <summary>Documents per request and per outbox transaction.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long a write waits for Meilisearch to finish its task.</summary>
    [Range(1, 3_600)]
    public int TaskTimeoutSeconds { get; set; } = 120;

    /// <summary>Cron of the full reconciliation: every active entry sent again, every document gone from the catalog deleted.</summary>
    public string ReconcileCron { get; set; } = "0 * * * *";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);
}

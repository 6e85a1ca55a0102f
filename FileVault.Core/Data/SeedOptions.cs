namespace FileVault.Core.Data;

/// <summary>What start-up seeds besides roles and the first SuperAdmin (scripts/run.sh sets these).</summary>
public sealed class SeedOptions
{
    /// <summary>An existing directory to register as a storage root.</summary>
    public string? StorageRoot { get; set; }

    /// <summary>Where to create the sample file server and register it, when <see cref="StorageRoot"/> is not given.</summary>
    public string? SampleRoot { get; set; }
}

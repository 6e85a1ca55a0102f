using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using FileVault.Core.Catalog;

namespace FileVault.Core.Browsing;

/// <summary>
/// Edits the metadata FileVault keeps for an entry (DESIGN invariant 1: the catalog holds everything but the bytes).
/// An entry the actor cannot read does not exist for them (R-AUTH-1); one they can read but not write is forbidden.
/// </summary>
/// <remarks>Codes: <c>entry.not_found</c>, <c>auth.forbidden</c>, <c>entry.description_too_long</c>.</remarks>
public sealed class EntryService(
    IDbContextFactory<FileVaultDbContext> dbFactory,
    AccessEvaluator access,
    CatalogBrowser browser,
    TimeProvider time,
    ILogger<EntryService> logger)
{
    public const int MaxDescriptionLength = 2000;

    /// <summary>Sets (or, with null or blank text, clears) the description. Needs Write on the entry's folder.</summary>
    public async Task<Result<EntryDetails>> UpdateDescriptionAsync(AccessSubject actor, long entryId, string? text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        // In NFC, as names are searched: a description typed on a Mac (NFD) is found by the same words typed anywhere.
        var description = string.IsNullOrWhiteSpace(text) ? null : EntryName.Portable(text.Trim());
        if (description is { Length: > MaxDescriptionLength })
        {
            return new Error("entry.description_too_long", $"A description has at most {MaxDescriptionLength} characters, not {description.Length}.");
        }

        // Line breaks and tabs belong in a description; other control characters (NUL above all, which PostgreSQL
        // cannot store) do not.
        if (description is not null && description.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            return new Error("entry.description_invalid", "A description cannot contain control characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entry = await db.Entries.AsNoTracking()
            .Where(e => e.Id == entryId && e.State == EntryState.Active)
            .Select(e => new { e.RootId, e.RelativePath })
            .SingleOrDefaultAsync(cancellationToken);
        // Grants sit on folders; a file's path inherits its folder's, so the entry's own path asks the right question.
        var permissions = entry is null ? default : await access.GetAsync(actor, entry.RootId, entry.RelativePath, cancellationToken);
        if (entry is null || !permissions.CanRead)
        {
            return new Error("entry.not_found", "No such entry.");
        }

        if (!permissions.CanWrite)
        {
            return AccessErrors.Forbidden("editing this entry's description");
        }

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await db.Entries.Where(e => e.Id == entryId).ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, description), ct);
            AuditTrail.Add(db, time, actor.UserId, "entry.describe", $"entry:{entryId}", new { Length = description?.Length ?? 0 });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }, cancellationToken);
        logger.LogInformation("User {Actor} described entry {EntryId}", actor.UserId, entryId);
        return await browser.GetAsync(actor, entryId, cancellationToken) is { } details
            ? details
            : new Error("entry.not_found", "No such entry.");
    }
}

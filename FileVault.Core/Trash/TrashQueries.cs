using System.ComponentModel.DataAnnotations;
using Coravel.Invocable;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Trash;

/// <summary>One line of the Trash page; <see cref="CanRestore"/> and <see cref="CanPurge"/> say what the actor may do with it now.</summary>
public sealed record TrashListItem(
    long Id, int RootId, string RootName, string OriginalPath, string Name, EntryKind Kind, long Size, int EntryCount,
    Guid DeletedById, string? DeletedBy, DateTimeOffset DeletedAt, DateTimeOffset PurgeAt, bool CanRestore = false, bool CanPurge = false)
{
    /// <summary>The folder it came from, relative to its root ("" for the root itself).</summary>
    public string OriginalFolder => CatalogChanges.ParentOf(OriginalPath);

    /// <summary>"pdf" for "report.PDF"; null for folders and names without one.</summary>
    public string? Extension => Kind == EntryKind.File && Path.GetExtension(Name) is { Length: > 1 } ext ? ext[1..].ToLowerInvariant() : null;
}

/// <summary>A file in the trash as its thumbnail knows it: its entry and that entry's content version when it was deleted.</summary>
public sealed record TrashedFile(long EntryId, string Name, long Size, DateTimeOffset ModifiedAt);

/// <summary>A page of the trash: items whose name contains <see cref="NameContains"/>, newest first.</summary>
public sealed record TrashQuery(string? NameContains = null, int Skip = 0, int Take = 50);

/// <summary>One page of trash items and how many match the query in all.</summary>
public sealed record TrashListing(IReadOnlyList<TrashListItem> Items, int Total);

public sealed class TrashOptions
{
    /// <summary>Days an item stays in the trash before the schedule deletes it for good.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>When the purge runs (cron, server time).</summary>
    public string PurgeCron { get; set; } = "30 3 * * *";
}

/// <summary>The trash as its pages show it: the actor's own items, or everyone's for admins.</summary>
/// <remarks>
/// A singleton, as callers resolve it from anywhere; each listing asks an access evaluator of its own (the scoped one
/// caches per circuit, which a singleton must not hold).
/// </remarks>
public sealed class TrashQueries(IDbContextFactory<FileVaultDbContext> contexts, IServiceProvider services, IOptions<TrashOptions> options)
{
    public const int MaxPageSize = 200;

    // A user's own trash items looked at per listing (each is checked for Read); admins see everything, unfiltered.
    private const int MaxOwnItems = 5000;

    public async Task<IReadOnlyList<TrashListItem>> ListAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ProjectAsync(db, actor, (await ReadableAsync(db, actor, Visible(db, actor, null), cancellationToken)).Take(5000), cancellationToken);
    }

    public async Task<Result<TrashListing>> PageAsync(AccessSubject actor, TrashQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Skip < 0 || query.Take is < 1 or > MaxPageSize)
        {
            return new Error("operation.selection", $"A page has 1 to {MaxPageSize} items.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = string.IsNullOrWhiteSpace(query.NameContains) ? null : query.NameContains.Trim();
        var visible = await ReadableAsync(db, actor, Visible(db, actor, name), cancellationToken);
        var total = await visible.CountAsync(cancellationToken);
        var items = await ProjectAsync(db, actor, visible.Skip(query.Skip).Take(query.Take), cancellationToken);
        return new TrashListing(items, total);
    }

    /// <summary>
    /// The file behind trash item <paramref name="trashItemId"/> when the actor sees it in their trash listing (their own
    /// item, or any for admins, and readable with the grants it took along): what its thumbnail may show. Anything else —
    /// another user's item, a folder, one restored or purged — is <c>trash.not_found</c>, naming nothing.
    /// </summary>
    public async Task<Result<TrashedFile>> FindFileAsync(AccessSubject actor, long trashItemId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var readable = await ReadableAsync(db, actor, Visible(db, actor, null).Where(t => t.Id == trashItemId && t.Kind == EntryKind.File), cancellationToken);
        var found = await (
            from t in readable
            join e in db.Entries on t.EntryId equals e.Id
            select new TrashedFile(t.EntryId, t.Name, e.Size, e.ModifiedAt)).FirstOrDefaultAsync(cancellationToken);
        return found is null ? new Error("trash.not_found", "No such item in the trash.") : found;
    }

    private static IQueryable<TrashItem> Visible(FileVaultDbContext db, AccessSubject actor, string? nameContains)
    {
        var items = db.TrashItems.AsNoTracking()
            .Where(t => t.State == TrashItemState.InTrash && (actor.IsAdministrator || t.DeletedById == actor.UserId));
        if (nameContains is not null)
        {
            // Names are stored in NFC; the filter typed on a Mac may not be.
            var pattern = LikePatterns.Containing(nameContains.Normalize(System.Text.NormalizationForm.FormC));
            items = items.Where(t => EF.Functions.ILike(t.Name, pattern, LikePatterns.Escape));
        }

        return items.OrderByDescending(t => t.DeletedAt).ThenByDescending(t => t.Id);
    }

    /// <summary>
    /// Keeps the items the actor may read, asked with the grants each took into the trash and those of the folders it
    /// came from: a folder the actor was denied (sent here by someone who could) does not show, nor does its name.
    /// </summary>
    private async Task<IQueryable<TrashItem>> ReadableAsync(FileVaultDbContext db, AccessSubject actor, IQueryable<TrashItem> items, CancellationToken cancellationToken)
    {
        if (actor.IsAdministrator)
        {
            return items;
        }

        var access = ActivatorUtilities.CreateInstance<AccessEvaluator>(services);
        var candidates = await items.Select(t => new { t.Id, t.RootId, t.OriginalPath, t.Name }).Take(MaxOwnItems).ToListAsync(cancellationToken);
        var readable = new List<long>(candidates.Count);
        foreach (var item in candidates)
        {
            var trashPath = new TrashItem { Id = item.Id, OriginalPath = item.OriginalPath, Name = item.Name }.TrashPath;
            if ((await access.GetTrashedAsync(actor, item.RootId, item.OriginalPath, trashPath, cancellationToken)).CanRead)
            {
                readable.Add(item.Id);
            }
        }

        return items.Where(t => readable.Contains(t.Id));
    }

    private async Task<IReadOnlyList<TrashListItem>> ProjectAsync(FileVaultDbContext context, AccessSubject actor, IQueryable<TrashItem> page, CancellationToken cancellationToken)
    {
        var access = ActivatorUtilities.CreateInstance<AccessEvaluator>(services);
        var retention = TimeSpan.FromDays(options.Value.RetentionDays);
        var rows = await (
            from t in page
            join r in context.StorageRoots on t.RootId equals r.Id
            join u in context.Users on t.DeletedById equals u.Id into users
            from u in users.DefaultIfEmpty()
            orderby t.DeletedAt descending, t.Id descending
            select new { t, RootName = r.Name, Email = u == null ? null : u.Email })
            .ToListAsync(cancellationToken);
        var items = new List<TrashListItem>(rows.Count);
        foreach (var x in rows)
        {
            items.Add(new TrashListItem(x.t.Id, x.t.RootId, x.RootName, x.t.OriginalPath, x.t.Name, x.t.Kind, x.t.Size, x.t.EntryCount,
                x.t.DeletedById, x.Email, x.t.DeletedAt, x.t.DeletedAt + retention,
                await access.CanRestoreAsync(actor, x.t.RootId, x.t.OriginalPath, cancellationToken),
                await access.CanPurgeAsync(actor, x.t.RootId, x.t.OriginalPath, cancellationToken)));
        }

        return items;
    }
}

/// <summary>
/// Who may take what out of the trash (R-OP-8), beyond owning the item (or being an admin): restoring needs Write on
/// the folder it came from, purging needs Delete there still. Read-only users, and everyone on a read-only root, may do neither.
/// </summary>
public static class TrashRules
{
    public static Task<bool> CanRestoreAsync(this AccessEvaluator access, AccessSubject actor, int rootId, string originalPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(originalPath);
        return access.CanWriteAsync(actor, rootId, CatalogChanges.ParentOf(originalPath), cancellationToken);
    }

    public static Task<bool> CanPurgeAsync(this AccessEvaluator access, AccessSubject actor, int rootId, string originalPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(originalPath);
        return access.CanDeleteAsync(actor, rootId, CatalogChanges.ParentOf(originalPath), cancellationToken);
    }
}

/// <summary>The daily purge of items older than the retention; one job per root and day, whichever instance runs it first.</summary>
public sealed class TrashPurgeSchedule(
    IDbContextFactory<FileVaultDbContext> contexts, TrashOperations operations, IOptions<TrashOptions> options, TimeProvider time,
    ILogger<TrashPurgeSchedule> logger) : IInvocable
{
    public async Task Invoke()
    {
        var now = time.GetUtcNow();
        var cutoff = now - TimeSpan.FromDays(options.Value.RetentionDays);
        await using var db = await contexts.CreateDbContextAsync();
        var expired = await db.TrashItems.AsNoTracking().Where(t => t.State == TrashItemState.InTrash && t.DeletedAt < cutoff).ToListAsync();
        if (expired.Count == 0)
        {
            return;
        }

        // The key makes the jobs of one day one set, however many instances run this schedule.
        var jobs = await operations.EnqueuePurgeAsync(Guid.Empty, expired, $"trash-purge:{now:yyyy-MM-dd}", CancellationToken.None);
        logger.LogInformation("Trash retention: {Count} items older than {Days} days queued for purge ({Jobs})",
            expired.Count, options.Value.RetentionDays, jobs.IsSuccess ? string.Join(", ", jobs.Value) : jobs.Error!.Message);
    }
}

using System.ComponentModel.DataAnnotations;
using Coravel.Invocable;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Trash;

/// <summary>One line of the Trash page.</summary>
public sealed record TrashListItem(
    long Id, int RootId, string RootName, string OriginalPath, string Name, EntryKind Kind, long Size, int EntryCount,
    Guid DeletedById, string? DeletedBy, DateTimeOffset DeletedAt, DateTimeOffset PurgeAt);

public sealed class TrashOptions
{
    /// <summary>Days an item stays in the trash before the schedule deletes it for good.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>When the purge runs (cron, server time).</summary>
    public string PurgeCron { get; set; } = "30 3 * * *";
}

/// <summary>The trash as its pages show it: the actor's own items, or everyone's for admins.</summary>
public sealed class TrashQueries(IDbContextFactory<FileVaultDbContext> contexts, IOptions<TrashOptions> options)
{
    public async Task<IReadOnlyList<TrashListItem>> ListAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var retention = TimeSpan.FromDays(options.Value.RetentionDays);
        var rows = await (
            from t in db.TrashItems.AsNoTracking()
            where t.State == TrashItemState.InTrash && (actor.IsAdministrator || t.DeletedById == actor.UserId)
            join r in db.StorageRoots on t.RootId equals r.Id
            join u in db.Users on t.DeletedById equals u.Id into users
            from u in users.DefaultIfEmpty()
            orderby t.DeletedAt descending, t.Id descending
            select new { t, RootName = r.Name, Email = u == null ? null : u.Email })
            .Take(5000)
            .ToListAsync(cancellationToken);
        return rows.Select(x => new TrashListItem(x.t.Id, x.t.RootId, x.RootName, x.t.OriginalPath, x.t.Name, x.t.Kind, x.t.Size, x.t.EntryCount,
            x.t.DeletedById, x.Email, x.t.DeletedAt, x.t.DeletedAt + retention)).ToList();
    }
}

/// <summary>The daily purge of items older than the retention; one job per root and day, whichever instance runs it first.</summary>
public sealed class TrashPurgeSchedule(
    IDbContextFactory<FileVaultDbContext> contexts, FileOperations operations, IOptions<TrashOptions> options, TimeProvider time,
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

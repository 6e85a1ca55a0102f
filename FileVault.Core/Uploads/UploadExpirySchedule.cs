using Coravel.Invocable;
using FileVault.Core.Cleanup;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Uploads;

/// <summary>
/// Deletes uploads past their expiry (R-UP-7): an unfinished one's staging file and row, a finished one's row (its file
/// is in the catalog by then). Runs once across instances as a cleanup sweep (deleting a file or row twice would be a
/// no-op anyway), recorded with what it removed. Also deletes staging files that have no row and are older than the
/// expiry: what a process killed in the middle of a file sent whole with its creation left (such a file gets its row
/// only when it is placed).
/// </summary>
public sealed class UploadExpirySchedule(
    IDbContextFactory<FileVaultDbContext> contexts, CleanupRuns runs, IOptions<UploadOptions> options, TimeProvider time,
    ILogger<UploadExpirySchedule> logger)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "uploads";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var expired = await db.Uploads.AsNoTracking()
            .Where(u => u.ExpiresAt <= now)
            .Join(db.StorageRoots, u => u.RootId, r => r.Id, (u, r) => new { u.Id, u.Status, RootPath = r.Path })
            .ToListAsync(cancellationToken);
        long removed = 0;
        foreach (var upload in expired)
        {
            if (upload.Status == UploadStatus.Receiving)
            {
                StagingArea.Delete(upload.RootPath, upload.Id);
            }

            removed += await db.Uploads.Where(u => u.Id == upload.Id && u.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        }

        if (expired.Count > 0)
        {
            logger.LogInformation("Upload expiry: deleted {Count} expired uploads", expired.Count);
        }

        removed += await DeleteOrphansAsync(db, now - TimeSpan.FromHours(options.Value.ExpiryHours), cancellationToken);
        return new SweepOutcome(removed);
    }

    /// <summary>Staging files last written before <paramref name="before"/> whose upload has no row.</summary>
    private async Task<long> DeleteOrphansAsync(FileVaultDbContext db, DateTimeOffset before, CancellationToken cancellationToken)
    {
        long removed = 0;
        var roots = await db.StorageRoots.AsNoTracking().Select(r => r.Path).ToListAsync(cancellationToken);
        foreach (var root in roots)
        {
            var staging = new DirectoryInfo(Path.Combine(root, Storage.PathGuard.StagingDirectoryName));
            if (staging is not { Exists: true, LinkTarget: null })
            {
                continue;
            }

            var old = staging.EnumerateFiles().Where(f => f.LastWriteTimeUtc < before.UtcDateTime).Select(f => f.Name).ToList();
            if (old.Count == 0)
            {
                continue;
            }

            var known = await db.Uploads.AsNoTracking().Where(u => old.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
            var orphans = old.Except(known, StringComparer.Ordinal).ToList();
            foreach (var id in orphans)
            {
                StagingArea.Delete(root, id);
            }

            removed += orphans.Count;
            if (orphans.Count > 0)
            {
                logger.LogInformation("Upload expiry: deleted {Count} staging files without an upload in {Root}", orphans.Count, root);
            }
        }

        return removed;
    }
}

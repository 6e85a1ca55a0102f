using Coravel.Invocable;
using FileVault.Core.Cleanup;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Uploads;

/// <summary>
/// Deletes uploads past their expiry (R-UP-7): an unfinished one's staging file and row, a finished one's row (its file
/// is in the catalog by then). Runs once across instances as a cleanup sweep (deleting a file or row twice would be a
/// no-op anyway), recorded with what it removed.
/// </summary>
public sealed class UploadExpirySchedule(IDbContextFactory<FileVaultDbContext> contexts, CleanupRuns runs, TimeProvider time, ILogger<UploadExpirySchedule> logger)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "uploads";

    public Task Invoke() => runs.RunAsync(this, CancellationToken);

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

        return new SweepOutcome(removed);
    }
}

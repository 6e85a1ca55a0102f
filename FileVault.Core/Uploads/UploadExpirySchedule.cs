using Coravel.Invocable;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Uploads;

/// <summary>
/// Deletes uploads past their expiry (R-UP-7): an unfinished one's staging file and row, a finished one's row (its file
/// is in the catalog by then). Safe on every instance at once: deleting a file or row twice is a no-op.
/// </summary>
public sealed class UploadExpirySchedule(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<UploadExpirySchedule> logger)
    : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    public async Task Invoke()
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken);
        var now = time.GetUtcNow();
        var expired = await db.Uploads.AsNoTracking()
            .Where(u => u.ExpiresAt <= now)
            .Join(db.StorageRoots, u => u.RootId, r => r.Id, (u, r) => new { u.Id, u.Status, RootPath = r.Path })
            .ToListAsync(CancellationToken);
        foreach (var upload in expired)
        {
            if (upload.Status == UploadStatus.Receiving)
            {
                StagingArea.Delete(upload.RootPath, upload.Id);
            }

            await db.Uploads.Where(u => u.Id == upload.Id && u.ExpiresAt <= now).ExecuteDeleteAsync(CancellationToken);
        }

        if (expired.Count > 0)
        {
            logger.LogInformation("Upload expiry: deleted {Count} expired uploads", expired.Count);
        }
    }
}

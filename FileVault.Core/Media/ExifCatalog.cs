using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FileVault.Core.Media;

/// <summary>
/// The <c>entry_media</c> rows: read once per version of an image, when its first thumbnail is made or its details are
/// first asked for. Access is the caller's business (the file it passes in was opened after its access check).
/// </summary>
public sealed class ExifCatalog(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<ExifCatalog> logger)
{
    /// <summary>The row for this version of the entry, reading <paramref name="image"/> when there is none yet; null when the file's metadata cannot be read.</summary>
    public async Task<EntryMedia?> GetOrReadAsync(long entryId, long length, long modifiedTicks, Stream image, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.EntryMedia.AsNoTracking().SingleOrDefaultAsync(m => m.EntryId == entryId, cancellationToken);
        if (stored is not null && stored.ContentLength == length && stored.ContentModifiedTicks == modifiedTicks)
        {
            return stored;
        }

        EntryMedia read;
        try
        {
            read = PhotoMetadata.Read(image, entryId);
        }
        catch (Exception ex) when (ex is MetadataExtractor.ImageProcessingException or IOException or ArgumentException)
        {
            logger.LogInformation("No EXIF for entry {Entry}: {Reason}", entryId, ex.Message);
            return null;
        }

        read.ContentLength = length;
        read.ContentModifiedTicks = modifiedTicks;
        read.ReadAt = time.GetUtcNow();
        if (stored is null)
        {
            db.Add(read);
        }
        else
        {
            db.Update(read);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another thumbnail size of the same photo read it at the same moment: the same values are stored.
        }

        return read;
    }
}

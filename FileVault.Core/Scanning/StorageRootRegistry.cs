using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using FileVault.Core.Storage;

namespace FileVault.Core.Scanning;

/// <summary>
/// Registers storage roots: checks the directory, writes FileVault's marker into it and records its device, with an
/// audit row (<c>root.register</c>) in the same transaction.
/// </summary>
/// <remarks>Codes: <c>auth.forbidden</c>, <c>root.name_invalid</c>, <c>root.path_not_absolute</c>, <c>root.path_missing</c>,
/// <c>root.exists</c>, <c>root.stat_failed</c>, <c>root.marker_unwritable</c>.</remarks>
public sealed class StorageRootRegistry(FileVaultDbContext db, TimeProvider time, ILogger<StorageRootRegistry> logger)
{
    /// <summary>The marker file the registry writes in every root (its name is the path guard's, which reserves it).</summary>
    public const string MarkerFileName = PathGuard.MarkerFileName;

    /// <param name="actor">
    /// The admin registering the root, or <see cref="AccessSubject.System"/> (or null) for FileVault itself: start-up
    /// seeding and the command line, whose audit rows name no user.
    /// </param>
    public async Task<Result<StorageRoot>> RegisterAsync(
        AccessSubject? actor, string name, string path, bool isReadOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(path);
        if (actor is { IsAdministrator: false })
        {
            return AccessErrors.Forbidden("registering storage roots");
        }

        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            return new Error("root.name_invalid", "A root needs a name of 1 to 100 characters.");
        }

        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            return new Error("root.path_not_absolute", $"The root path must be absolute: {path}");
        }

        var fullPath = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (!Directory.Exists(fullPath))
        {
            return new Error("root.path_missing", $"No directory at {fullPath}");
        }

        if (await db.StorageRoots.AnyAsync(r => r.Path == fullPath || r.Name == name, cancellationToken))
        {
            return new Error("root.exists", $"A root named {name} or at {fullPath} is already registered.");
        }

        var stat = UnixFileStat.TryGet(fullPath);
        if (stat is null)
        {
            return new Error("root.stat_failed", $"Cannot stat {fullPath}");
        }

        var root = new StorageRoot
        {
            Name = name,
            Path = fullPath,
            IsReadOnly = isReadOnly,
            DeviceId = unchecked((long)stat.Value.Device),
            MarkerId = Guid.NewGuid(),
            CreatedAt = time.GetUtcNow(),
        };

        try
        {
            await File.WriteAllTextAsync(System.IO.Path.Combine(fullPath, MarkerFileName), root.MarkerId.ToString("D") + "\n", cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Error("root.marker_unwritable", $"Cannot write the marker file into {fullPath}: {ex.Message}");
        }

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            // A retried attempt starts over: the id a rolled-back insert got is not ours.
            db.ChangeTracker.Clear();
            root.Id = 0;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.StorageRoots.Add(root);
            await db.SaveChangesAsync(ct);
            AuditTrail.Add(db, time, actor is { IsSystem: false } ? actor.UserId : null, "root.register", $"root:{root.Id}", new { root.Name, root.Path, root.IsReadOnly });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }, cancellationToken);
        logger.LogInformation("Registered storage root {Name} at {Path} (device {Device})", root.Name, root.Path, root.DeviceId);
        return root;
    }
}

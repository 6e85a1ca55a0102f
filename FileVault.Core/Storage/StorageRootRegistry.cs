using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using FileVault.Core.Data;

namespace FileVault.Core.Storage;

/// <summary>Registers storage roots: checks the directory, writes FileVault's marker into it and records its device.</summary>
public sealed class StorageRootRegistry(FileVaultDbContext db, TimeProvider time, ILogger<StorageRootRegistry> logger)
{
    /// <summary>The marker file in every root; the scanner treats a root without it as unhealthy.</summary>
    public const string MarkerFileName = ".filevault-root";

    public async Task<Result<StorageRoot>> RegisterAsync(string name, string path, bool isReadOnly, CancellationToken cancellationToken)
    {
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

        db.StorageRoots.Add(root);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Registered storage root {Name} at {Path} (device {Device})", root.Name, root.Path, root.DeviceId);
        return root;
    }
}

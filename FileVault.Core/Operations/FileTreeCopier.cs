using System.Security.Cryptography;
using System.Text;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;

namespace FileVault.Core.Operations;

/// <summary>
/// Copies a file or a folder tree for a job, crash-safely (DESIGN invariant 4): each file is written under a temporary
/// name in its destination folder (<c>.filevault-part-{job}-{hash}</c>, which the scanner ignores), flushed with
/// fsync, stamped with the source's time and mode, then renamed to its final name without replacing anything. A final
/// name therefore always holds a whole file; a resumed job skips files that already have theirs and overwrites its
/// own leftover temporaries. Symbolic links are not followed and not copied (they could point out of the root).
/// </summary>
internal sealed class FileTreeCopier(JobRun run, long totalBytes, string label)
{
    public const string TemporaryPrefix = Storage.PathGuard.TemporaryPrefix;
    private const int BufferSize = 1 << 20;

    private static readonly EnumerationOptions AllEntries = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    public long BytesDone { get; set; }

    public int FilesCopied { get; private set; }

    public int LinksSkipped { get; private set; }

    public List<string> Failures { get; } = [];

    /// <summary>Folders not copied because <see cref="LeaveOut"/> named them.</summary>
    public int UnreadableLeftOut { get; private set; }

    private HashSet<string> _leaveOut = new(StringComparer.Ordinal);

    /// <summary>Source folders (absolute) that the next <see cref="CopyAsync"/> passes over, with everything in them.</summary>
    public void LeaveOut(IEnumerable<string> sourceFolders) => _leaveOut = new HashSet<string>(sourceFolders, StringComparer.Ordinal);

    /// <summary>The temporary name of <paramref name="finalPath"/> for this job: the same on every attempt, so a resumed copy overwrites its own leftover.</summary>
    public static string TemporaryPath(long jobId, string finalPath)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFileName(finalPath))))[..16];
        return Path.Combine(Path.GetDirectoryName(finalPath)!, $"{TemporaryPrefix}{jobId}-{hash}");
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>; what already exists at a final name is kept.</summary>
    public async Task CopyAsync(string source, string destination)
    {
        run.Stopping.ThrowIfCancellationRequested();
        var info = new FileInfo(source);
        if (info.LinkTarget is not null)
        {
            LinksSkipped++;
            return;
        }

        if (info.Attributes.HasFlag(FileAttributes.Directory))
        {
            if (_leaveOut.Contains(source))
            {
                UnreadableLeftOut++;
                return;
            }

            await run.GuardAsync();
            var errno = NativeFileSystem.CreateDirectory(destination, ModeOf(source));
            if (errno != 0 && !(errno == NativeFileSystem.EExist && Directory.Exists(destination) && new FileInfo(destination).LinkTarget is null))
            {
                Failures.Add($"{Path.GetFileName(destination)}: {NativeFileSystem.ErrnoName(errno)}");
                return;
            }

            foreach (var child in new DirectoryInfo(source).EnumerateFileSystemInfos("*", AllEntries).OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                if (child.Name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                await CopyAsync(child.FullName, Path.Combine(destination, child.Name));
            }

            NativeFileSystem.SyncDirectory(destination);
            return;
        }

        if (NativeFileSystem.LinkExists(destination))
        {
            // Renamed into place by an earlier attempt, after its fsync: whole.
            BytesDone += info.Length;
            FilesCopied++;
            return;
        }

        await CopyFileAsync(info, destination);
    }

    private static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows() ? (UnixFileMode)0x1ED : File.GetUnixFileMode(path);

    private async Task CopyFileAsync(FileInfo source, string destination)
    {
        await run.GuardAsync();
        var temporary = TemporaryPath(run.Job.Id, destination);
        try
        {
            await using (var input = new FileStream(source.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan))
            await using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 0))
            {
                var buffer = new byte[Math.Min(BufferSize, Math.Max(4096, source.Length))];
                int read;
                while ((read = await input.ReadAsync(buffer, run.Stopping)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), run.Stopping);
                    BytesDone += read;
                    await run.ReportAsync(BytesDone, totalBytes, label);
                }

                output.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(source.FullName));
            }

            File.SetLastWriteTimeUtc(temporary, source.LastWriteTimeUtc);
            await run.GuardAsync();
            var errno = NativeFileSystem.RenameNoReplace(temporary, destination);
            if (errno != 0)
            {
                File.Delete(temporary);
                Failures.Add(errno == NativeFileSystem.EExist
                    ? $"{Path.GetFileName(destination)}: already exists"
                    : $"{Path.GetFileName(destination)}: {NativeFileSystem.ErrnoName(errno)}");
                return;
            }

            FilesCopied++;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not JobLockLostException && ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            Failures.Add($"{source.Name}: {ex.Message}");
        }
        catch
        {
            // Cancelled or the lock lost: no partial file may stay behind under any name the user sees.
            File.Delete(temporary);
            throw;
        }
    }
}

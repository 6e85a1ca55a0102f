using System.Buffers;
using System.Collections.Frozen;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Text;

namespace FileVault.Core.Storage;

/// <summary>
/// The one guard every path from a user, an API call, upload metadata or an archive goes through (DESIGN invariant 2;
/// RELIABILITY R-PATH-1..6 and R-LINK-1). <see cref="Parse"/> checks the spelling without touching the disk;
/// <see cref="ResolveExisting"/> and <see cref="ResolveForCreate"/> map a parsed path onto a storage root and refuse
/// anything whose real location is outside it. Every refusal is an <see cref="Error"/> with its own stable code.
/// </summary>
/// <remarks>
/// Codes: <c>path.empty_component</c>, <c>path.dot_component</c>, <c>path.absolute</c>, <c>path.backslash</c>,
/// <c>path.nul</c>, <c>path.control_character</c>, <c>path.invalid_unicode</c>, <c>path.name_too_long</c>,
/// <c>path.too_long</c> (spelling); <c>path.separator_in_name</c>, <c>path.reserved_name</c> (names to create);
/// <c>path.not_found</c>, <c>path.ambiguous</c>, <c>path.symlink_outside_root</c>, <c>path.symlink_loop</c>,
/// <c>path.access_denied</c>, <c>path.not_a_directory</c>, <c>root.unavailable</c> (on disk); <c>path.link_in_path</c> (writes).
/// A resolved path is checked at the moment of the call; opening it safely later is R-LINK-2's business.
/// </remarks>
public static class PathGuard
{
    /// <summary>Longest name, in UTF-8 bytes after NFC normalisation (NAME_MAX).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest relative path, in UTF-8 bytes after NFC normalisation, separators included.</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>The marker file in every root; the scanner treats a root without it as unhealthy.</summary>
    public const string MarkerFileName = ".filevault-root";

    /// <summary>Kept for the trash folder FileVault will keep in a root.</summary>
    public const string TrashDirectoryName = ".filevault-trash";

    /// <summary>Names of files a job is still writing (copies, uploads): never a user's name, never catalogued.</summary>
    public const string TemporaryPrefix = ".filevault-part-";

    /// <summary>Kept for the upload staging folder FileVault will keep in a root.</summary>
    public const string StagingDirectoryName = ".filevault-staging";

    // NFC joins at most four code points into one (a Hangul syllable from three jamo, some Greek letters from four),
    // so text of more than eight UTF-16 units per allowed byte cannot normalise back under the limit. Refusing it
    // before normalising matters: reordering a long run of combining marks takes time quadratic in the run's length.
    private const int MaxUnitsPerByte = 8;

    // Case-insensitive because the share may be mounted from a case-insensitive server (SMB), where
    // ".FileVault-Root" opens the marker.
    private static readonly FrozenSet<string> ReservedNames = new[]
    {
        MarkerFileName, TrashDirectoryName, StagingDirectoryName,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ReservedNameSpans =
        ReservedNames.GetAlternateLookup<ReadOnlySpan<char>>();

    // Device names Windows opens instead of a file, with or without an extension; the superscript digits count too.
    private static readonly FrozenSet<string> WindowsDeviceNames = new[] { "CON", "PRN", "AUX", "NUL" }
        .Concat(from prefix in new[] { "COM", "LPT" } from digit in "123456789¹²³" select prefix + digit)
        .ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private static readonly SearchValues<char> WindowsForbiddenCharacters = SearchValues.Create(":*?\"<>|");

    // NUL, the other C0 controls, DEL and the backslash: what Parse refuses inside a name.
    private static readonly SearchValues<char> ForbiddenCharacters = SearchValues.Create(
        Enumerable.Range(0, 0x20).Select(c => (char)c).Concat(['\x7F', '\\']).ToArray());

    // Hidden (dot) files must be found too: the default options skip them, and on a denied directory we want to know.
    private static readonly EnumerationOptions EntryOptions = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Checks and normalises a user-supplied path relative to a root. Pure: touches no file system.</summary>
    /// <remarks>
    /// The empty string is the root. Any other path has exactly one spelling: components separated by single
    /// <c>/</c>, so a trailing or doubled slash is <c>path.empty_component</c> and a leading one <c>path.absolute</c>.
    /// Components are normalised to NFC and every rule is checked on that form, the one that will be used (R-PATH-2);
    /// the first component that breaks a rule decides the code. The whole path is measured last.
    /// </remarks>
    public static Result<RelativePath> Parse(string userPath)
    {
        ArgumentNullException.ThrowIfNull(userPath);
        if (userPath.Length == 0)
        {
            return RelativePath.Root;
        }

        if (userPath.Length > MaxPathBytes * MaxUnitsPerByte)
        {
            return PathTooLong(Encoding.UTF8.GetByteCount(userPath));
        }

        if (userPath[0] == '/')
        {
            return new Error("path.absolute", "The path starts with '/'; paths are relative to a storage root.");
        }

        var parts = userPath.Split('/');
        var components = new string[parts.Length];
        var pathBytes = parts.Length - 1; // the separators
        for (var i = 0; i < parts.Length; i++)
        {
            if (CheckName(parts[i], out components[i], out var nameBytes) is { } error)
            {
                return error;
            }

            pathBytes += nameBytes;
        }

        if (pathBytes > MaxPathBytes)
        {
            return PathTooLong(pathBytes);
        }

        // The array is ours alone, so it can back the immutable array without a copy.
        return new RelativePath(ImmutableCollectionsMarshal.AsImmutableArray(components));
    }

    /// <summary>
    /// Finds <paramref name="path"/> under the root and returns it spelled as on disk: a name stored in NFD (as Macs
    /// write it) is found by its NFC spelling, and the returned path carries the name as found. Symbolic links stay in
    /// the returned path (deleting a link must remove the link), but the real location of every component, links
    /// followed, must be the root or inside it.
    /// </summary>
    /// <remarks>
    /// FileVault's reserved names (<see cref="IsReservedName"/>) answer <c>path.not_found</c>, as if absent (R-PATH-5),
    /// whether typed or reached through a link.
    /// Two entries of one directory with the same NFC name answer <c>path.ambiguous</c> (R-PATH-6): they are reached
    /// by entry id instead. <paramref name="rootPath"/> is a registered root (absolute); it may itself be a link.
    /// </remarks>
    public static Result<string> ResolveExisting(string rootPath, RelativePath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var root = CheckRootPath(rootPath);
        if (!UnixRealPath.TryResolve(root, out var realRoot, out var errno))
        {
            return new Error("root.unavailable", $"The storage root {root} cannot be resolved: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        var found = root;
        var real = realRoot;
        foreach (var component in path.Components)
        {
            if (IsReservedName(component))
            {
                return NotFound(path.ToString());
            }

            // Listing the real directory, already known to be inside the root, follows no link.
            var name = FindEntry(real, component, path);
            if (!name.IsSuccess)
            {
                return name;
            }

            found = Join(found, name.Value);
            if (!UnixRealPath.TryResolve(Join(real, name.Value), out var next, out errno))
            {
                return RealPathError(errno, path.ToString());
            }

            if (!IsInside(realRoot, next))
            {
                return new Error("path.symlink_outside_root", $"{path} leads through a symbolic link to a place outside its storage root.");
            }

            // A link can lead into FileVault's own folders by a name the user never typed.
            if (HasReservedComponent(next.AsSpan(realRoot.Length)))
            {
                return NotFound(path.ToString());
            }

            real = next;
        }

        return found;
    }

    /// <summary>
    /// Maps a catalogued entry, addressed by id, onto its root for reading: the real path of its folder (every link on the
    /// way resolved, which must be the root or inside it and pass none of FileVault's reserved names) joined with the
    /// entry's own name, which is not followed. Unlike <see cref="ResolveExisting"/> it takes names <see cref="Parse"/>
    /// refuses but a disk can hold (a "\", a control character; R-PATH-1): <paramref name="catalogPath"/> comes from the
    /// scanner, spelled as on disk, never from a user's typing. The result must be opened without following a link at its
    /// name, and the opened handle checked (<see cref="NoFollowFile"/>, R-LINK-2).
    /// </summary>
    /// <remarks>Codes: <c>path.not_found</c> (also for the root itself and reserved names), <c>path.symlink_outside_root</c>, and the on-disk codes of <see cref="ResolveExisting"/>.</remarks>
    public static Result<string> ResolveEntry(string rootPath, string catalogPath)
    {
        ArgumentNullException.ThrowIfNull(catalogPath);
        var root = CheckRootPath(rootPath);
        var components = catalogPath.Split('/');
        if (catalogPath.Length == 0 || components.Any(c => c is "" or "." or ".." || c.Contains('\0', StringComparison.Ordinal) || IsReservedName(c)))
        {
            return NotFound(catalogPath);
        }

        if (!UnixRealPath.TryResolve(root, out var realRoot, out var errno))
        {
            return new Error("root.unavailable", $"The storage root {root} cannot be resolved: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        var folder = components.Length == 1 ? root : Join(root, string.Join('/', components[..^1]));
        if (!UnixRealPath.TryResolve(folder, out var realFolder, out errno))
        {
            return RealPathError(errno, catalogPath);
        }

        if (!IsInside(realRoot, realFolder))
        {
            return new Error("path.symlink_outside_root", $"{catalogPath} leads through a symbolic link to a place outside its storage root.");
        }

        return HasReservedComponent(realFolder.AsSpan(realRoot.Length)) ? NotFound(catalogPath) : Join(realFolder, components[^1]);
    }

    /// <summary>
    /// Maps a catalogued entry onto its root for changing it (rename, move, copy, trash, restore, purge, compress,
    /// upload completion). Stricter than <see cref="ResolveEntry"/>: no folder on the way may be a symbolic link at all,
    /// not even one that stays inside the root, so a folder swapped for a link after the scan can lead the change
    /// neither outside the root nor onto another folder than the one whose permissions were checked. The entry's own
    /// name is not resolved (a link there is changed as a link). <c>""</c> maps to the root's real path. Paths come from
    /// the catalog (FileVault's own trash paths included), never from a user's typing.
    /// </summary>
    /// <remarks>
    /// Codes: <c>path.not_found</c>, <c>path.link_in_path</c> (a folder on the way is a link now),
    /// <c>path.symlink_outside_root</c>, <c>root.unavailable</c>, and the on-disk codes of <see cref="ResolveExisting"/>.
    /// The check holds at the moment of the call; the change follows at once, under the job's path locks.
    /// </remarks>
    public static Result<string> ResolveForWrite(string rootPath, string catalogPath)
    {
        ArgumentNullException.ThrowIfNull(catalogPath);
        var root = CheckRootPath(rootPath);
        if (!UnixRealPath.TryResolve(root, out var realRoot, out var errno))
        {
            return new Error("root.unavailable", $"The storage root {root} cannot be resolved: {Marshal.GetPInvokeErrorMessage(errno)}.");
        }

        if (catalogPath.Length == 0)
        {
            return realRoot;
        }

        var components = catalogPath.Split('/');
        if (components.Any(c => c is "" or "." or ".." || c.Contains('\0', StringComparison.Ordinal)))
        {
            return NotFound(catalogPath);
        }

        var folder = components.Length == 1 ? realRoot : Join(realRoot, string.Join('/', components[..^1]));
        if (!UnixRealPath.TryResolve(folder, out var realFolder, out errno))
        {
            return RealPathError(errno, catalogPath);
        }

        if (realFolder != folder)
        {
            return IsInside(realRoot, realFolder)
                ? new Error("path.link_in_path", $"A folder on the way to {catalogPath} is a symbolic link now; FileVault changes nothing through links. Scan the root again.")
                : new Error("path.symlink_outside_root", $"{catalogPath} leads through a symbolic link to a place outside its storage root.");
        }

        return Join(realFolder, components[^1]);
    }

    /// <summary>
    /// Checks <paramref name="newName"/>, a name FileVault is about to create in <paramref name="parent"/> (upload,
    /// new folder, rename, archive output, restore), and returns the full path to create, the name in NFC (R-PATH-4).
    /// Nothing is created. Beyond the spelling rules of <see cref="Parse"/>, refuses FileVault's reserved names and,
    /// when <paramref name="refuseWindowsNames"/> (the share is used from Windows), Windows device names, a trailing
    /// dot or space, and <c>: * ? " &lt; &gt; |</c> (R-PATH-5). The parent must be an existing directory.
    /// </summary>
    /// <remarks>
    /// Does not look for an entry already at that name, nor for a sibling differing only in case or normalisation:
    /// name conflicts (R-PATH-6, <c>name.conflict</c>) are the caller's next check, and the write must still create
    /// exclusively (R-LINK-3), since the name can be taken between this call and the write.
    /// </remarks>
    public static Result<string> ResolveForCreate(string rootPath, RelativePath parent, string newName, bool refuseWindowsNames = true)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var checkedName = CheckNewName(newName, refuseWindowsNames);
        if (!checkedName.IsSuccess)
        {
            return checkedName;
        }

        var name = checkedName.Value;
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        var pathBytes = parent.IsRoot ? nameBytes : Encoding.UTF8.GetByteCount(parent.ToString()) + 1 + nameBytes;
        if (pathBytes > MaxPathBytes)
        {
            return PathTooLong(pathBytes);
        }

        var directory = ResolveExisting(rootPath, parent);
        if (!directory.IsSuccess)
        {
            return directory;
        }

        if (!Directory.Exists(directory.Value))
        {
            return new Error("path.not_a_directory", $"{parent} is not a folder.");
        }

        return Join(directory.Value, name);
    }

    /// <summary>
    /// The rules of <see cref="ResolveForCreate"/> for the name alone, touching no file system: returns the name in NFC,
    /// or why it cannot be created anywhere. For checking many names at once (a batch rename's preview).
    /// </summary>
    public static Result<string> CheckNewName(string newName, bool refuseWindowsNames = true)
    {
        ArgumentNullException.ThrowIfNull(newName);
        if (newName.Contains('/', StringComparison.Ordinal))
        {
            return new Error("path.separator_in_name", "A name cannot contain '/'.");
        }

        if (CheckName(newName, out var name, out _) is { } error)
        {
            return error;
        }

        if (IsReservedName(name) || name.StartsWith(TemporaryPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return new Error("path.reserved_name", $"The name {name} is reserved for FileVault's own use.");
        }

        if (refuseWindowsNames && WindowsNameProblem(name) is { } problem)
        {
            return new Error("path.reserved_name", $"The name {name} {problem}.");
        }

        return name;
    }

    /// <summary>
    /// Whether <paramref name="candidate"/> is <paramref name="root"/> or below it, by whole components (R-PATH-3):
    /// <c>/srv/share-evil</c> is not inside <c>/srv/share</c>. Both must be absolute and free of <c>.</c> and
    /// <c>..</c>, as realpath returns them; paths that are not are reported outside, so a careless caller fails closed.
    /// </summary>
    public static bool IsInside(string root, string candidate)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(candidate);
        if (!root.StartsWith('/') || !candidate.StartsWith('/') || HasDotComponent(root))
        {
            return false;
        }

        // "/" trims to "", under which every absolute path lies.
        var prefix = root.AsSpan().TrimEnd('/');
        if (!candidate.AsSpan().StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = candidate.AsSpan(prefix.Length);
        return (rest.IsEmpty || rest[0] == '/') && !HasDotComponent(rest);
    }

    /// <summary>
    /// Whether a name is one FileVault keeps for itself in a root (marker, trash, staging), in any letter case. Such
    /// entries are never reachable through user paths and cannot be created (R-PATH-5).
    /// </summary>
    public static bool IsReservedName(string name) => ReservedNames.Contains(name);

    // The rules for one name, checked on its NFC form. Returns the NFC form and its length in UTF-8 bytes.
    private static Error? CheckName(string name, out string nfc, out int bytes)
    {
        nfc = name;
        bytes = 0;
        if (name.Length == 0)
        {
            return new Error("path.empty_component", "The path has an empty component: a leading, trailing or doubled '/'.");
        }

        if (name.Length > MaxNameBytes * MaxUnitsPerByte)
        {
            bytes = Encoding.UTF8.GetByteCount(name);
            return new Error("path.name_too_long", $"A name is {bytes} bytes in UTF-8; the limit is {MaxNameBytes}.");
        }

        // Normalize throws on these; text that is not Unicode gets its own code instead.
        if (FindInvalidUnicode(name) is var invalid and >= 0)
        {
            return new Error("path.invalid_unicode", $"A name contains U+{(int)name[invalid]:X4}, a lone surrogate or noncharacter, which is not Unicode text.");
        }

        nfc = name.Normalize(NormalizationForm.FormC);
        var forbidden = nfc.AsSpan().IndexOfAny(ForbiddenCharacters);
        if (forbidden >= 0)
        {
            return nfc[forbidden] switch
            {
                '\0' => new Error("path.nul", "A name contains a NUL character."),
                '\\' => new Error("path.backslash", "A name contains '\\'; the separator is '/'."),
                var c => new Error("path.control_character", $"A name contains the control character U+{(int)c:X4}."),
            };
        }

        if (nfc is "." or "..")
        {
            return new Error("path.dot_component", $"'{nfc}' is not allowed as a name.");
        }

        bytes = Encoding.UTF8.GetByteCount(nfc);
        if (bytes > MaxNameBytes)
        {
            return new Error("path.name_too_long", $"A name is {bytes} bytes in UTF-8 after NFC normalisation; the limit is {MaxNameBytes}.");
        }

        return null;
    }

    // The index of a lone surrogate or of U+FFFE, the two things .NET's normalisation refuses; -1 when there is none.
    private static int FindInvalidUnicode(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]) || text[i] == '\uFFFE')
            {
                return i;
            }
        }

        return -1;
    }

    // Why Windows could not hold the name, or null when it could.
    private static string? WindowsNameProblem(string name)
    {
        if (name[^1] is '.' or ' ')
        {
            return "ends with a dot or a space, which Windows drops";
        }

        var forbidden = name.AsSpan().IndexOfAny(WindowsForbiddenCharacters);
        if (forbidden >= 0)
        {
            return $"contains '{name[forbidden]}', which Windows does not allow in names";
        }

        // "CON", "con.txt" and "CON .tar.gz" all open the console on Windows.
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var stem = (dot < 0 ? name.AsSpan() : name.AsSpan(0, dot)).TrimEnd(' ');
        return WindowsDeviceNames.Contains(stem.ToString()) ? "is a Windows device name" : null;
    }

    // Looks for the one entry of the directory whose name is the component, exactly or once normalised to NFC (Macs
    // write NFD). Lists the whole directory, because twins (the same name in NFC and NFD) must be noticed.
    private static Result<string> FindEntry(string directory, string component, RelativePath path)
    {
        string? found = null;
        try
        {
            var names = new FileSystemEnumerable<string>(directory, static (ref FileSystemEntry entry) => entry.FileName.ToString(), EntryOptions)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => NameMatches(entry.FileName, component),
            };
            foreach (var name in names)
            {
                if (found is not null)
                {
                    return new Error("path.ambiguous", $"{path} matches two entries whose names differ only in Unicode normalisation; address them by id.");
                }

                found = name;
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Also what listing a file gives: a file where the path needs a folder.
            return NotFound(path.ToString());
        }
        catch (UnauthorizedAccessException)
        {
            return AccessDenied(path.ToString());
        }

        return found is null ? NotFound(path.ToString()) : found;
    }

    private static bool NameMatches(ReadOnlySpan<char> name, string component)
    {
        if (name.SequenceEqual(component))
        {
            return true;
        }

        // A name on disk may hold U+FFFE, which no component does and which normalisation would throw on.
        if (FindInvalidUnicode(name) >= 0 || name.IsNormalized(NormalizationForm.FormC))
        {
            return false;
        }

        // A component is at most 255 bytes, so at most 255 UTF-16 units: a name whose NFC form needs more cannot equal it.
        Span<char> buffer = stackalloc char[MaxNameBytes];
        return name.TryNormalize(buffer, out var written, NormalizationForm.FormC) && buffer[..written].SequenceEqual(component);
    }

    private static bool HasReservedComponent(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            if (ReservedNameSpans.Contains(path[range]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasDotComponent(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            if (path[range] is "." or "..")
            {
                return true;
            }
        }

        return false;
    }

    private static string CheckRootPath(string rootPath)
    {
        ArgumentNullException.ThrowIfNull(rootPath);
        if (!rootPath.StartsWith('/') || rootPath.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A storage root is an absolute path: {rootPath}", nameof(rootPath));
        }

        return Path.TrimEndingDirectorySeparator(rootPath);
    }

    private static string Join(string directory, string name) =>
        directory.EndsWith('/') ? directory + name : string.Concat(directory, "/", name);

    private static Error RealPathError(int errno, string path) => errno switch
    {
        // A dangling link, or an entry removed since the directory was listed.
        UnixRealPath.ENOENT or UnixRealPath.ENOTDIR => NotFound(path),
        UnixRealPath.ELOOP => new Error("path.symlink_loop", $"{path} leads into a loop (or a chain of over 40) of symbolic links."),
        UnixRealPath.ENAMETOOLONG => new Error("path.too_long", $"{path} resolves to a real path longer than the system allows."),
        UnixRealPath.EACCES => AccessDenied(path),
        UnixRealPath.EILSEQ => new Error("path.invalid_unicode", $"{path} resolves to a real path that is not valid UTF-8."),
        _ => throw new IOException($"Cannot resolve {path}: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };

    private static Error NotFound(string path) => new("path.not_found", $"Nothing at {path} in this storage root.");

    private static Error AccessDenied(string path) => new("path.access_denied", $"FileVault may not read {path}.");

    private static Error PathTooLong(int bytes) =>
        new("path.too_long", $"The path is {bytes} bytes in UTF-8; the limit is {MaxPathBytes}.");
}

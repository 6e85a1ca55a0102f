using System.Globalization;

namespace FileVault.Core.Media;

/// <summary>
/// One thumbnail of one version of a file: the entry, its content version (size and modification time as the open file
/// reports them), the size and the format. A file rewritten in place gets another key, so a stale thumbnail is never served.
/// </summary>
public sealed record ThumbnailKey(long EntryId, long Length, long ModifiedTicks, ThumbnailSize Size, ThumbnailFormat Format)
{
    /// <summary>The name in Redis (scoped by <see cref="Redis.RedisKeys"/>) and in the in-process tables.</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"thumb:{EntryId}:{Length:x}-{ModifiedTicks:x}:{Suffix}");

    /// <summary>A strong entity tag, quoted: equal bytes for equal tags, since the same version always gives the same thumbnail.</summary>
    public string EntityTag => string.Create(CultureInfo.InvariantCulture, $"\"{EntryId:x}-{Length:x}-{ModifiedTicks:x}-{Suffix}\"");

    private string Suffix => $"{Size}-{Format}".ToLowerInvariant();
}

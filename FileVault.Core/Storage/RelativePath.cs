using System.Collections.Immutable;

namespace FileVault.Core.Storage;

/// <summary>
/// A path below a storage root that <see cref="PathGuard.Parse"/> accepted: NFC components, none of them empty,
/// <c>.</c> or <c>..</c>. Only the guard makes one, so holding a RelativePath means the spelling was checked.
/// </summary>
public sealed record RelativePath
{
    private readonly string _value;

    internal RelativePath(ImmutableArray<string> components)
    {
        Components = components;
        _value = string.Join('/', components);
    }

    /// <summary>The root itself: no components, written as the empty string.</summary>
    public static RelativePath Root { get; } = new(ImmutableArray<string>.Empty);

    public ImmutableArray<string> Components { get; }

    public bool IsRoot => Components.IsEmpty;

    // Equal paths have equal joined spellings; comparing the immutable array would compare references.
    public bool Equals(RelativePath? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);

    /// <summary>The components joined by <c>/</c>; the root is the empty string.</summary>
    public override string ToString() => _value;
}

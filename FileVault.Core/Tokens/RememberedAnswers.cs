using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using FileVault.Core.Access;

namespace FileVault.Core.Tokens;

/// <summary>
/// "Yes" answers about accounts and tokens that the bearer handlers ask on every API call, kept per key so the database
/// is not asked again: an answer is used only while <see cref="AccessVersion"/> has not moved since it was read, and for
/// at most <see cref="MaxAge"/>. Every change of an account or a token moves the version after its commit, here at once
/// and on the other instances through Redis; the age bounds how long an instance that missed the Redis message (Redis
/// down) keeps an outdated answer. A "no" is never kept. At most <see cref="MaxRemembered"/> answers: past it they all go.
/// </summary>
internal sealed class RememberedAnswers<TKey, TValue>(AccessVersion version, TimeProvider time) where TKey : notnull
{
    /// <summary>How long an answer may live without hearing of a change (covers a missed Redis message).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<TKey, (TValue Value, Mark ReadAt)> _answers = new();

    /// <summary>The version and the time a new answer is read under: taken before the query, so a change committed meanwhile outdates it.</summary>
    public Mark Now() => new(version.Current, time.GetTimestamp());

    /// <summary>The answer kept for <paramref name="key"/>, when it is still good.</summary>
    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_answers.TryGetValue(key, out var known) && known.ReadAt.Version == version.Current && time.GetElapsedTime(known.ReadAt.At) < MaxAge)
        {
            value = known.Value;
            return true;
        }

        value = default;
        return false;
    }

    public void Forget(TKey key) => _answers.TryRemove(key, out _);

    /// <summary>Keeps a "yes" read under <paramref name="readAt"/> (<see cref="Now"/> before the query).</summary>
    public void Remember(TKey key, TValue value, Mark readAt)
    {
        if (_answers.Count >= MaxRemembered)
        {
            _answers.Clear();
        }

        _answers[key] = (value, readAt);
    }

    /// <summary>When an answer was read: the access version then, and the timestamp.</summary>
    public readonly record struct Mark(long Version, long At);
}

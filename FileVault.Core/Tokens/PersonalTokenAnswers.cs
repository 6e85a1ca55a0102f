using System.Collections.Concurrent;
using FileVault.Core.Access;

namespace FileVault.Core.Tokens;

/// <summary>
/// The answers <see cref="PersonalAccessTokens.AuthenticateAsync"/> gave for valid tokens, kept so a script's every
/// request (a folder upload sends one per file) does not ask the database again. An answer is used only while
/// <see cref="AccessVersion"/> has not moved since it was read, for at most <see cref="MaxAge"/>, and before the token's
/// expiry. Everything that ends a token moves the version after its commit: a revocation (here at once, on the other
/// instances through Redis), and any change of the user (stamp, disabled flag, roles, deletion) through the account
/// change announcer or the session end. A "no" is never kept.
/// </summary>
/// <remarks>
/// Same bounds as <see cref="TokenAccounts"/>: with Redis down, another instance may take a revoked token for at most
/// <see cref="MaxAge"/> more; on the instance that revoked it, not once.
/// </remarks>
public sealed class PersonalTokenAnswers(AccessVersion version, TimeProvider time)
{
    /// <summary>How long an answer may live without hearing of a change (covers a missed Redis message).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);

    /// <summary>The version to read a new answer under: taken before the query, so a change committed meanwhile outdates it.</summary>
    public long Version => version.Current;

    public PersonalTokenIdentity? Find(byte[] tokenHash, DateTimeOffset now)
    {
        var key = Convert.ToBase64String(tokenHash);
        if (!_answers.TryGetValue(key, out var answer))
        {
            return null;
        }

        if (answer.Version == version.Current && time.GetElapsedTime(answer.At) < MaxAge && answer.ExpiresAt > now)
        {
            return answer.Identity;
        }

        _answers.TryRemove(key, out _);
        return null;
    }

    public void Remember(byte[] tokenHash, PersonalTokenIdentity identity, DateTimeOffset expiresAt, long readUnder)
    {
        if (_answers.Count >= MaxRemembered)
        {
            _answers.Clear();
        }

        _answers[Convert.ToBase64String(tokenHash)] = new Answer(identity, expiresAt, readUnder, time.GetTimestamp());
    }

    private sealed record Answer(PersonalTokenIdentity Identity, DateTimeOffset ExpiresAt, long Version, long At);
}

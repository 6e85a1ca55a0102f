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
    private readonly RememberedAnswers<string, (PersonalTokenIdentity Identity, DateTimeOffset ExpiresAt)> _answers = new(version, time);

    /// <summary>How long an answer may live without hearing of a change (covers a missed Redis message).</summary>
    public static TimeSpan MaxAge => RememberedAnswers<string, (PersonalTokenIdentity, DateTimeOffset)>.MaxAge;

    /// <summary>When a new answer is read: taken before the query, so a change committed meanwhile outdates it.</summary>
    internal RememberedAnswers<string, (PersonalTokenIdentity, DateTimeOffset)>.Mark Now() => _answers.Now();

    public PersonalTokenIdentity? Find(byte[] tokenHash, DateTimeOffset now)
    {
        var key = Convert.ToBase64String(tokenHash);
        if (_answers.TryGet(key, out var answer) && answer.ExpiresAt > now)
        {
            return answer.Identity;
        }

        _answers.Forget(key);
        return null;
    }

    internal void Remember(byte[] tokenHash, PersonalTokenIdentity identity, DateTimeOffset expiresAt,
        RememberedAnswers<string, (PersonalTokenIdentity, DateTimeOffset)>.Mark readAt) =>
        _answers.Remember(Convert.ToBase64String(tokenHash), (identity, expiresAt), readAt);
}

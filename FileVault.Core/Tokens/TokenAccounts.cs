using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Tokens;

/// <summary>The token endpoint's and the bearer handlers' questions about an account, each on a context of its own.</summary>
/// <remarks>
/// The bearer handler asks <see cref="IsCurrentAsync"/> on every API call. A "yes" is remembered per (user, stamp) by the
/// rules of <see cref="RememberedAnswers{TKey, TValue}"/>: every change of an account (its stamp, disabled flag or
/// roles) moves <see cref="AccessVersion"/> after committing, and no answer lives past 10 s. A "no" is never remembered.
/// </remarks>
public sealed class TokenAccounts(IDbContextFactory<FileVaultDbContext> contexts, AccessVersion version, TimeProvider time)
{
    private readonly RememberedAnswers<(Guid UserId, string Stamp), bool> _current = new(version, time);

    /// <summary>The user as a token sees them, or null when they do not exist or are disabled.</summary>
    public async Task<TokenUser?> FindEnabledAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await TokenUsers.FindEnabledAsync(db, userId, cancellationToken);
    }

    /// <summary>Whether a token bound to <paramref name="securityStamp"/> still speaks for the user (see <see cref="TokenUsers.IsCurrentAsync"/>).</summary>
    public async Task<bool> IsCurrentAsync(Guid userId, string securityStamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(securityStamp);
        var key = (userId, securityStamp);
        // Read before the query: a change committed while it runs moves the version past it, so its answer is not reused.
        var readAt = _current.Now();
        if (_current.TryGet(key, out _))
        {
            return true;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await TokenUsers.IsCurrentAsync(db, userId, securityStamp, cancellationToken))
        {
            _current.Forget(key);
            return false;
        }

        _current.Remember(key, true, readAt);
        return true;
    }
}

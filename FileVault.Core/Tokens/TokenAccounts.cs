using System.Collections.Concurrent;
using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Tokens;

/// <summary>The token endpoint's and the bearer handlers' questions about an account, each on a context of its own.</summary>
/// <remarks>
/// The bearer handler asks <see cref="IsCurrentAsync"/> on every API call. A "yes" is remembered per (user, stamp) while
/// <see cref="AccessVersion"/> has not moved — every change of an account (its stamp, disabled flag or roles) bumps it
/// after committing, here at once and on the other instances through Redis — and for at most
/// <see cref="CurrentAnswerMaxAge"/>, which bounds how long an instance that missed the Redis message (Redis down) keeps
/// accepting a revoked token. A "no" is never remembered.
/// </remarks>
public sealed class TokenAccounts(IDbContextFactory<FileVaultDbContext> contexts, AccessVersion version, TimeProvider time)
{
    /// <summary>How long a "still current" answer may live without hearing of a change (covers a missed Redis message).</summary>
    public static readonly TimeSpan CurrentAnswerMaxAge = TimeSpan.FromSeconds(10);

    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(Guid UserId, string Stamp), (long Version, long At)> _current = new();

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
        // Read before the query: a change committed while it runs bumps past this stamp, so its answer is not reused.
        var stamp = version.Current;
        var now = time.GetTimestamp();
        if (_current.TryGetValue(key, out var known) && known.Version == stamp && time.GetElapsedTime(known.At, now) < CurrentAnswerMaxAge)
        {
            return true;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await TokenUsers.IsCurrentAsync(db, userId, securityStamp, cancellationToken))
        {
            _current.TryRemove(key, out _);
            return false;
        }

        if (_current.Count >= MaxRemembered)
        {
            _current.Clear();
        }

        _current[key] = (stamp, now);
        return true;
    }
}

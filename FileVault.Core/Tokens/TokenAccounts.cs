using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Tokens;

/// <summary>The token endpoint's and the bearer handlers' questions about an account, each on a context of its own.</summary>
public sealed class TokenAccounts(IDbContextFactory<FileVaultDbContext> contexts)
{
    /// <summary>The user as a token sees them, or null when they do not exist or are disabled.</summary>
    public async Task<TokenUser?> FindEnabledAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await TokenUsers.FindEnabledAsync(db, userId, cancellationToken);
    }

    /// <summary>Whether a token bound to <paramref name="securityStamp"/> still speaks for the user (see <see cref="TokenUsers.IsCurrentAsync"/>).</summary>
    public async Task<bool> IsCurrentAsync(Guid userId, string securityStamp, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await TokenUsers.IsCurrentAsync(db, userId, securityStamp, cancellationToken);
    }
}

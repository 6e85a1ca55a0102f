using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Scanning;

/// <summary>How the scan history names who started or decided something.</summary>
internal static class AdminNames
{
    /// <summary>The admin's e-mail, their id when the account has none, or "system" for FileVault itself.</summary>
    public static async Task<string> OfAsync(FileVaultDbContext db, AccessSubject actor, CancellationToken cancellationToken) =>
        actor.IsSystem
            ? "system"
            : await db.Users.Where(u => u.Id == actor.UserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken) ?? actor.UserId.ToString();
}

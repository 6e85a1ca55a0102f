using FileVault.Core.Access;
using Microsoft.AspNetCore.Components.Authorization;

namespace FileVault.Web.Account;

public static class ActingUser
{
    /// <summary>The circuit's signed-in user, as Core's services want them (R-AUTH-2: pages pass the actor on).</summary>
    public static async Task<AccessSubject> ActorAsync(this Task<AuthenticationState> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return AccessSubject.FromPrincipal((await state).User)
            ?? throw new InvalidOperationException("The page requires a signed-in user.");
    }
}

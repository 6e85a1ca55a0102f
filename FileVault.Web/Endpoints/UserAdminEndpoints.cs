using System.Security.Claims;
using FileVault.Core.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>A new account; without <see cref="Password"/> one is generated and returned once.</summary>
public sealed record NewUserRequest(string Email, string DisplayName, string? Password, IReadOnlyList<string>? Roles);

public sealed record CreatedUser(UserSummary User, string? GeneratedPassword);

public static class UserAdminEndpoints
{
    public static RouteGroupBuilder MapUserAdminEndpoints(this RouteGroupBuilder admin)
    {
        var users = admin.MapGroup("/users").WithTags("Admin: users");

        users.MapGet("", async (ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct, string? search = null) =>
                (await accounts.ListAsync(user.Actor(), search, ct)).ToOk())
            .WithName("ListUsers").WithSummary("Lists accounts, optionally those whose e-mail or name contains `search`.");

        users.MapPost("", async Task<Results<Ok<CreatedUser>, ProblemHttpResult>> (
                NewUserRequest request, ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct) =>
            {
                var generated = string.IsNullOrEmpty(request.Password) ? AdminSeeder.GeneratePassword() : null;
                var created = await accounts.CreateAsync(user.Actor(),
                    new NewUser(request.Email ?? "", request.DisplayName ?? "", request.Password ?? generated!, request.Roles ?? [Roles.User]), ct);
                return created.IsSuccess ? TypedResults.Ok(new CreatedUser(created.Value, generated)) : ApiProblems.From(created.Error!);
            })
            .WithName("CreateUser").WithSummary("Creates an account (role User unless `roles` says otherwise).");

        users.MapPost("/{id:guid}/disable", async (Guid id, ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct) =>
                (await accounts.DisableAsync(user.Actor(), id, ct)).ToOk())
            .WithName("DisableUser").WithSummary("Disables sign-in and ends the user's sessions and tokens.");
        users.MapPost("/{id:guid}/enable", async (Guid id, ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct) =>
                (await accounts.EnableAsync(user.Actor(), id, ct)).ToOk())
            .WithName("EnableUser").WithSummary("Lets a disabled user sign in again (their old tokens stay dead).");
        users.MapPost("/{id:guid}/unlock", async (Guid id, ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct) =>
                (await accounts.UnlockAsync(user.Actor(), id, ct)).ToOk())
            .WithName("UnlockUser").WithSummary("Ends a lock-out after failed sign-ins.");
        return admin;
    }
}

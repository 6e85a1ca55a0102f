using System.Security.Claims;
using FileVault.Core.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>A new account; without <see cref="Password"/> one is generated and returned once.</summary>
public sealed record NewUserRequest(string Email, string DisplayName, string? Password, IReadOnlyList<string>? Roles);

public sealed record CreatedUser(UserSummary User, string? GeneratedPassword);

/// <summary>The complete set of roles the user should have; roles not listed are taken away.</summary>
public sealed record SetRolesRequest(IReadOnlyList<string> Roles);

/// <summary>A generated password, in this response only: FileVault keeps only its hash.</summary>
public sealed record ResetPasswordResponse(string Password);

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
        users.MapPut("/{id:guid}/roles", async (Guid id, SetRolesRequest request, ClaimsPrincipal user, UserAdministration accounts, CancellationToken ct) =>
                (await accounts.SetRolesAsync(user.Actor(), id, request.Roles ?? [], ct)).ToOk())
            .WithName("SetUserRoles")
            .WithSummary("Replaces the user's roles and ends their sessions and tokens. Only a SuperAdmin gives or takes Admin and SuperAdmin; "
                + "the last enabled SuperAdmin keeps the role.");
        users.MapPost("/{id:guid}/password", async Task<Results<Ok<ResetPasswordResponse>, ProblemHttpResult>> (
                Guid id, ClaimsPrincipal user, UserAdministration accounts, HttpContext http, CancellationToken ct) =>
            {
                var reset = await accounts.ResetPasswordAsync(user.Actor(), id, ct);
                if (!reset.IsSuccess)
                {
                    return ApiProblems.From(reset.Error!);
                }

                // The password is in this response only; nothing between here and the caller may keep it.
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(new ResetPasswordResponse(reset.Value));
            })
            .WithName("ResetUserPassword")
            .WithSummary("Sets a generated password and returns it once; the user's sessions and tokens end.");
        return admin;
    }
}

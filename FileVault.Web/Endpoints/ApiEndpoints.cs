using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using FileVault.Core.Access;
using FileVault.Web.Account;
using FileVault.Web.Hosting;

namespace FileVault.Web.Endpoints;

/// <summary>
/// The REST API under /api/v1: one group per feature, every handler a call into the Core service the UI uses, with the
/// caller as the acting user. Files need the Files policy, /admin the Admin policy, the device desk the Desk policy; Core
/// checks again.
/// </summary>
public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";

    public static IEndpointRouteBuilder MapFileVaultApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter<ApiRequestGuard>();
        api.MapTokenEndpoints();
        api.MapEntryEndpoints();
        api.MapDownloadEndpoints();
        api.MapMediaEndpoints();
        api.MapUploadEndpoints();
        api.MapSearchEndpoints();
        api.MapOperationEndpoints();
        api.MapTrashEndpoints();
        api.MapJobEndpoints();
        api.MapDeviceEndpoints();
        var admin = api.MapGroup("/admin").RequireAuthorization(Policies.Admin);
        admin.MapUserAdminEndpoints();
        admin.MapGroupAdminEndpoints();
        admin.MapGrantEndpoints();
        admin.MapStorageAdminEndpoints();
        admin.MapDuplicateEndpoints();
        admin.MapStatisticsEndpoints();
        return app;
    }

    /// <summary>The caller as Core's services want them; endpoints that call this require an authenticated user.</summary>
    public static AccessSubject Actor(this ClaimsPrincipal user) =>
        AccessSubject.FromPrincipal(user) ?? throw new InvalidOperationException("The endpoint requires a signed-in user.");
}

/// <summary>Marks a POST that only reads (a ZIP download): a read-only personal access token may call it.</summary>
public sealed class ReadOnlyPost;

/// <summary>
/// Two checks before any API handler that changes state. A cookie-authenticated call must carry a header a cross-site
/// form cannot send (X-Requested-With, the antiforgery header, or tus's Tus-Resumable) and a same-origin Origin (R-AUTH-8); a bearer token is
/// not sent by browsers on their own, so it needs neither. A read-only personal access token may only read.
/// </summary>
internal sealed class ApiRequestGuard : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        // Anonymous endpoints (the token endpoint) act on their body's credentials, never on the cookie.
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || http.User.Identity?.IsAuthenticated != true
            || http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return next(context);
        }

        if (ApiAuthentication.BearerToken(request) is null)
        {
            // Tus-Resumable is as good: a cross-site form cannot send it either, and tus-js-client sends it on every request.
            if (!request.Headers.ContainsKey("X-Requested-With") && !request.Headers.ContainsKey("RequestVerificationToken")
                && !request.Headers.ContainsKey("Tus-Resumable"))
            {
                return Refuse("auth.csrf", "A cookie-authenticated change needs the X-Requested-With (or, for tus uploads, Tus-Resumable) header.");
            }

            if (!SameOrigin.Matches(request))
            {
                return Refuse("auth.csrf", "A cookie-authenticated change must come from this site's own pages (Origin).");
            }
        }
        else if (http.User.FindFirstValue(ApiAuthentication.ScopeClaim) == "read" && http.GetEndpoint()?.Metadata.GetMetadata<ReadOnlyPost>() is null)
        {
            return Refuse("token.scope_insufficient", "This personal access token may only read.");
        }

        return next(context);
    }

    private static ValueTask<object?> Refuse(string code, string message) => ValueTask.FromResult<object?>(ApiProblems.From(code, message));
}

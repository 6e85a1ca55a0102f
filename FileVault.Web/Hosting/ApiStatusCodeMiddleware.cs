using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.Diagnostics;

namespace FileVault.Web.Hosting;

/// <summary>
/// Under /api, a bare status (no route, 401 from a challenge, 403 from a policy, 405) becomes ProblemDetails with a
/// code, instead of the HTML not-found page the status-code pages would render for a person.
/// </summary>
public sealed class ApiStatusCodeMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
        {
            pages.Enabled = false;
        }

        await next(context);
        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength > 0 || response.ContentType is not null)
        {
            return;
        }

        var (code, message) = response.StatusCode switch
        {
            StatusCodes.Status401Unauthorized => ("auth.unauthenticated", "Sign in, or send a valid bearer token."),
            StatusCodes.Status403Forbidden => ("auth.forbidden", "Not allowed."),
            StatusCodes.Status404NotFound => ("api.not_found", "No such API endpoint."),
            StatusCodes.Status405MethodNotAllowed => ("api.method_not_allowed", "This endpoint does not take that method."),
            StatusCodes.Status415UnsupportedMediaType => ("api.unsupported_media_type", "Send JSON (application/json)."),
            _ => ("api.error", "The request failed."),
        };
        await ApiProblems.From(code, message, response.StatusCode).ExecuteAsync(context);
    }
}

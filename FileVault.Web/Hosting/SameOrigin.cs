namespace FileVault.Web.Hosting;

/// <summary>Whether a browser request comes from this site's own pages, by its Origin header (R-AUTH-8).</summary>
public static class SameOrigin
{
    /// <summary>
    /// True when <c>Origin</c> is this request's own scheme and host (the host as the browser used it, port included;
    /// behind nginx the forwarded scheme and host). "null" (a sandboxed or file: page) is foreign.
    /// </summary>
    public static bool Matches(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Equals(request.Headers.Origin.ToString(), $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Refuses Blazor's circuit connection (<c>/_blazor</c>: negotiate, WebSocket upgrade, long polling) from another site's
/// page (R-AUTH-8). WebSockets are not bound by CORS, so without this a foreign page could open a circuit with the
/// user's cookie where a browser sends it. Browsers always send Origin on these requests; a request without one is
/// not a browser acting for someone else, and goes on.
/// </summary>
public sealed class BlazorOriginGuardMiddleware(RequestDelegate next, ILogger<BlazorOriginGuardMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/_blazor") && request.Headers.Origin.Count > 0 && !SameOrigin.Matches(request))
        {
            logger.LogWarning("Refused a circuit connection from origin {Origin}", request.Headers.Origin.ToString());
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        return next(context);
    }
}

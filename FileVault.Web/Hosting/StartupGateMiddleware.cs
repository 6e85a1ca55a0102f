using FileVault.Core.Data;

namespace FileVault.Web.Hosting;

/// <summary>
/// Until the database is migrated and seeded, answers 503 with Retry-After instead of failing deep inside a page;
/// health endpoints pass, so /health/live stays 200 while /health/ready says why it is not ready (R-DEG-3).
/// </summary>
public sealed class StartupGateMiddleware(RequestDelegate next, DatabaseState state)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (state.IsReady || context.Request.Path.StartsWithSegments("/health"))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("FileVault is starting: waiting for the database. 데이터베이스 연결을 기다리는 중입니다.\n");
    }
}

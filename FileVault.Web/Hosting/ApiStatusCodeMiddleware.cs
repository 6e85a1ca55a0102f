using System.Net.Sockets;
using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace FileVault.Web.Hosting;

/// <summary>
/// Under /api, a bare status (no route, 401 from a challenge, 403 from a policy, 405) becomes ProblemDetails with a
/// code, instead of the HTML not-found page the status-code pages would render for a person; and the failures that are
/// the caller's input or a passing outage, not a fault of ours, answer with their own code instead of a 500:
/// PostgreSQL down or restarting is 503 <c>db.unavailable</c> with Retry-After (R-DEG-2), text PostgreSQL cannot store
/// (a NUL character) is 400 <c>input.invalid_text</c>.
/// </summary>
public sealed class ApiStatusCodeMiddleware(RequestDelegate next, ILogger<ApiStatusCodeMiddleware> logger)
{
    /// <summary>How a script should be told about an exception that escaped an endpoint; null for a real fault (500).</summary>
    public static (string Code, string Message, int Status)? Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                // A parameter that does not bind (Development throws it; elsewhere it is a bare 400, below).
                case BadHttpRequestException bad:
                    return ("api.bad_request", bad.Message, bad.StatusCode);
                // 22021 character_not_in_repertoire: PostgreSQL text holds no NUL.
                case PostgresException { SqlState: "22021" or "22P05" }:
                    return ("input.invalid_text", "The text contains a character that cannot be stored (NUL).", StatusCodes.Status400BadRequest);
                // Class 08 (connection), 57P01-03 (shutting down, cannot connect now), 53300 (too many connections).
                case PostgresException { SqlState: var state } when state.StartsWith("08", StringComparison.Ordinal)
                    || state is "57P01" or "57P02" or "57P03" or "53300":
                case NpgsqlException { IsTransient: true }:
                case NpgsqlException { InnerException: SocketException or TimeoutException }:
                case RetryLimitExceededException:
                    return ("db.unavailable", "The database is not reachable right now; try again in a few seconds.", StatusCodes.Status503ServiceUnavailable);
            }
        }

        return null;
    }

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

        var response = context.Response;
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!response.HasStarted && !context.RequestAborted.IsCancellationRequested && Classify(ex) is { } problem)
        {
            logger.LogWarning(ex, "API request {Path} answered {Code}", context.Request.Path, problem.Code);
            response.Clear();
            if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers.RetryAfter = "5";
            }

            await ApiProblems.From(problem.Code, problem.Message, problem.Status).ExecuteAsync(context);
            return;
        }

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
            StatusCodes.Status400BadRequest => ("api.bad_request", "A parameter or the body could not be read; see the OpenAPI document for the accepted values."),
            _ => ("api.error", "The request failed."),
        };
        await ApiProblems.From(code, message, response.StatusCode).ExecuteAsync(context);
    }
}

using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Hosting;

/// <summary>FileVault:RateLimits in appsettings.json: sign-in attempts per window, per client address and per e-mail.</summary>
public sealed class SignInRateLimitOptions
{
    [Range(1, 10_000)]
    public int PerAddress { get; set; } = 30;

    [Range(1, 10_000)]
    public int PerEmail { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Rate limits on the sign-in form's POST and the token endpoint (R-AUTH-6), on top of the lock-out: by client
/// address and by e-mail (lower-cased, so case variants share a budget). Over the limit: 429 with Retry-After.
/// </summary>
public static class SignInRateLimiting
{
    private const string EmailItem = "FileVault.SignInEmail";

    public static IServiceCollection AddSignInRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<SignInRateLimitOptions>().BindConfiguration("FileVault:RateLimits").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SignInRateLimitOptions>>((options, limits) =>
        {
            var window = limits.Value.Window;
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSignIn(context)
                    ? RateLimitPartition.GetFixedWindowLimiter("ip:" + context.Connection.RemoteIpAddress,
                        _ => Window(limits.Value.PerAddress, window))
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSignIn(context) && context.Items[EmailItem] is string email
                    ? RateLimitPartition.GetFixedWindowLimiter("email:" + email, _ => Window(limits.Value.PerEmail, window))
                    : RateLimitPartition.GetNoLimiter("")));
            options.OnRejected = async (rejected, ct) =>
            {
                var response = rejected.HttpContext.Response;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await ApiProblems.From("rate_limited", "Too many sign-in attempts; wait and try again.").ExecuteAsync(rejected.HttpContext);
            };
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        });
        services.AddRateLimiter(_ => { });
        return services;
    }

    /// <summary>
    /// Reads the e-mail of a sign-in attempt (form or JSON) before the limiter partitions on it. The form stays
    /// available to the page (ReadFormAsync caches it); a JSON body is buffered and rewound for the endpoint.
    /// </summary>
    public static IApplicationBuilder UseSignInRateLimiting(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (IsSignIn(context))
            {
                context.Items[EmailItem] = (await ReadEmailAsync(context.Request))?.Trim().ToLowerInvariant();
            }

            await next(context);
        });
        return app.UseRateLimiter();
    }

    private static bool IsSignIn(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && (context.Request.Path.Equals("/account/login", StringComparison.OrdinalIgnoreCase)
            || context.Request.Path.Equals(ApiEndpoints.Prefix + "/auth/token", StringComparison.OrdinalIgnoreCase));

    private static async Task<string?> ReadEmailAsync(HttpRequest request)
    {
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
                return form["Input.Email"].FirstOrDefault();
            }

            if (request.HasJsonContentType() && request.ContentLength is > 0 and <= 64 * 1024)
            {
                request.EnableBuffering();
                using var json = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
                request.Body.Position = 0;
                return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("email", out var email)
                    && email.ValueKind == JsonValueKind.String ? email.GetString() : null;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            if (request.Body.CanSeek)
            {
                request.Body.Position = 0;
            }
        }

        return null;
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };
}

using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Hosting;

/// <summary>
/// FileVault:ForwardedHeaders in appsettings.json: the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
/// believed. Empty (the default) means the app is reached directly and forwarded headers are ignored.
/// </summary>
public sealed class TrustedProxyOptions : IValidatableObject
{
    /// <summary>Addresses of the proxies, e.g. <c>127.0.0.1</c> for an nginx on the same machine.</summary>
    public IList<string> KnownProxies { get; } = [];

    /// <summary>Networks the proxies live in, in CIDR form, e.g. the compose network <c>172.31.240.0/24</c>.</summary>
    public IList<string> KnownNetworks { get; } = [];

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"FileVault:ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.");
        }

        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"FileVault:ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR form (10.0.0.0/8).");
        }
    }
}

/// <summary>
/// Forwarded headers from the configured proxies only, applied once. The client address they yield is what the sign-in
/// rate limit keys on, so believing them from anyone would let a client pick a fresh address for every attempt.
/// </summary>
public static class TrustedProxies
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration configuration)
    {
        // ASP.NET's own switch (ASPNETCORE_FORWARDEDHEADERS_ENABLED) believes every address and adds the middleware a
        // second time, in front of ours; refuse it rather than run with either.
        if (string.Equals(configuration["FORWARDEDHEADERS_ENABLED"], "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("ASPNETCORE_FORWARDEDHEADERS_ENABLED trusts X-Forwarded-For from any address; remove it and name "
                + "the reverse proxy in FileVault:ForwardedHeaders:KnownProxies or KnownNetworks instead.");
        }

        services.AddOptions<TrustedProxyOptions>().BindConfiguration("FileVault:ForwardedHeaders").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((options, trusted) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // One proxy in front: only the address it appended counts, never what the client wrote before it.
            options.ForwardLimit = 1;
            // ASP.NET trusts loopback by default; only what is configured is trusted here.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.Value.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    /// <summary>
    /// Adds the forwarded-headers middleware when a proxy is configured. With none it is left out altogether: with empty
    /// lists the middleware would believe every address.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        return app.ApplicationServices.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.Enabled ? app.UseForwardedHeaders() : app;
    }
}

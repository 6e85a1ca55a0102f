using FileVault.Core.Jobs;
using FileVault.Core.Access;
using FileVault.Core.Cleanup;
using FileVault.Core.Data;
using FileVault.Core.Devices;
using FileVault.Core.Downloads;
using FileVault.Core.Media;
using FileVault.Core.Monitoring;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Core.Tokens;
using FileVault.Core.Uploads;
using Coravel;
using FileVault.Web.Account;
using FileVault.Web.Components;
using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MudBlazor.Services;
using Serilog;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Serilog.Formatting.Compact;
using Scalar.AspNetCore;
using System.Text.Json.Serialization;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Operations;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Core.Duplicates;
using FileVault.Core.Browsing;
using FileVault.Core.Locks;

namespace FileVault.Web.Hosting;

/// <summary>Everything Program.cs wires up, feature by feature.</summary>
public static class FileVaultHostingExtensions
{
    public static WebApplicationBuilder AddFileVault(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var isDevelopment = builder.Environment.IsDevelopment();

        services.AddSerilog((sp, logger) =>
        {
            logger.ReadFrom.Configuration(configuration).ReadFrom.Services(sp).Enrich.FromLogContext();
            if (isDevelopment)
            {
                logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
        });

        services.AddSingleton(TimeProvider.System);
        services.AddFileVaultData();
        services.AddFileVaultRedis();
        services.AddLocks();
        services.AddFileVaultHealthChecks();
        services.AddSystemMonitoring();
        services.AddCleanup();
        services.AddAudit();
        services.AddStorage();
        services.AddCatalog();
        services.AddBrowsing();
        services.AddScanning();
        services.AddFileVaultJobs();
        services.AddOperations();
        services.AddTrash();
        services.AddDuplicates();
        services.AddDownloads();
        services.AddUploads();
        services.AddMedia();
        services.AddDevices();
        services.AddScoped<DeskCsv>();
        services.AddScoped<Components.Shared.UserTimeZone>();
        services.AddScoped<Components.Uploads.UploadSession>();
        services.AddFileVaultAccounts();
        services.AddFileVaultAccess();
        services.AddSearch(configuration);

        services.AddFileVaultDataProtection(configuration);

        services.AddLocalization();
        // Korean text goes out as characters, not as &#xXXXX; entities for every syllable.
        services.AddSingleton(HtmlEncoder.Create(UnicodeRanges.All));
        services.AddProblemDetails();
        services.AddSignInRateLimiting();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddOpenApi("v1", options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "FileVault API";
                document.Info.Description = "Send Authorization: Bearer with an access token from POST /api/v1/auth/token, or a personal access token "
                    + "(fvp_...) made on the API tokens page. Errors are ProblemDetails with a stable `code`.";
                return Task.CompletedTask;
            });
        });
        services.AddTrustedProxies(configuration);

        services.AddRazorComponents()
            .AddInteractiveServerComponents(options => options.DetailedErrors = isDevelopment)
            // The default 32 KB; raising it lets one client make the server buffer more (R-BLAZOR-2).
            .AddHubOptions(options => options.MaximumReceiveMessageSize = 32 * 1024);
        services.AddMudServices();
        return builder;
    }

    public static WebApplication MapFileVault(this WebApplication app)
    {
        app.UseTrustedProxies();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseMiddleware<BlazorOriginGuardMiddleware>();
        app.UseSerilogRequestLogging();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseRequestLocalization(Localization.CreateOptions());
        app.UseMiddleware<ApiStatusCodeMiddleware>();
        app.UseMiddleware<StartupGateMiddleware>();
        app.UseSignInRateLimiting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(MonitoringServiceCollectionExtensions.ReadyTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapAccountEndpoints();
        app.MapDeskEndpoints();
        app.MapDownloadForm();
        app.MapFileVaultApi();
        app.MapOpenApi("/openapi/{documentName}.json");
        // Scalar serves its viewer from the app (embedded scalar.js); with its CDN fonts, telemetry and AI agent off it
        // makes no request outside this origin, so the page works offline.
        app.MapScalarApiReference(SecurityHeadersMiddleware.DocsPath, options => options
            .WithTitle("FileVault API")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .HideDeveloperTools()
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddDocument("v1"));
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.Services.UseScheduler(scheduler =>
            {
                scheduler.ScheduleScans(app.Services);
                scheduler.ScheduleTrashPurge(app.Services);
                scheduler.ScheduleUploadExpiry(app.Services);
                scheduler.ScheduleRefreshTokenPurge(app.Services);
                scheduler.ScheduleThumbnailSweep(app.Services);
                scheduler.ScheduleCleanup(app.Services);
                scheduler.ScheduleMeilisearchReconciliation(app.Services);
            })
            .LogScheduledTaskProgress();
        return app;
    }
}

using Bunit;
using FileVault.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace FileVault.Tests.Components;

/// <summary>The bUnit context every component test here starts from.</summary>
internal static class MudTestContext
{
    /// <summary>MudBlazor's services, localization from the app's resources, and loose JS interop (MudBlazor's own calls go unanswered).</summary>
    public static BunitContext Create()
    {
        var context = new BunitContext();
        context.Services.AddMudServices();
        context.Services.AddLocalization();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }

    /// <summary>
    /// Times on the reader's clock (<see cref="UserTimeZone"/>): the browser's zone answered as <paramref name="zone"/>,
    /// with the clock and logging it needs.
    /// </summary>
    public static BunitContext WithReaderZone(this BunitContext context, string zone)
    {
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddLogging();
        context.Services.AddScoped<UserTimeZone>();
        context.JSInterop.SetupModule("./js/timezone.js").Setup<string?>("zone").SetResult(zone);
        return context;
    }
}

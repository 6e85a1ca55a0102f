using Bunit;
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
}

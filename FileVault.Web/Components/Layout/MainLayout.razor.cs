using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;

namespace FileVault.Web.Components.Layout;

public partial class MainLayout : IAsyncDisposable
{
    private MudThemeProvider? _themeProvider;
    private ErrorBoundary? _errorBoundary;
    private IJSObjectReference? _themeModule;
    private bool _isDarkMode;
    private bool _drawerOpen = true;
    private bool _isInteractive;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private UserCircuitLimit CircuitLimit { get; set; } = default!;

    [Inject]
    private UserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private IOptions<AccountOptions> AccountOptions { get; set; } = default!;

    protected override void OnParametersSet() => _errorBoundary?.Recover();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        // The choice is kept in the browser: it is a per-device preference, like the OS setting it defaults to.
        _themeModule = await JS.InvokeAsync<IJSObjectReference>("import", "./js/theme.js");
        var stored = await _themeModule.InvokeAsync<bool?>("getDarkMode");
        _isDarkMode = stored ?? (_themeProvider is not null && await _themeProvider.GetSystemDarkModeAsync());
        // Asked once per circuit; pages that show times wait for the same answer.
        await TimeZone.ResolveAsync();
        _isInteractive = true;
        StateHasChanged();
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        _isDarkMode = !_isDarkMode;
        if (_themeModule is not null)
        {
            await _themeModule.InvokeVoidAsync("setDarkMode", _isDarkMode);
        }
    }

    private void Recover() => _errorBoundary?.Recover();

    public async ValueTask DisposeAsync()
    {
        if (_themeModule is not null)
        {
            try
            {
                await _themeModule.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone; nothing to release in the browser.
            }
        }

        GC.SuppressFinalize(this);
    }
}

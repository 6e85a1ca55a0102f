using System.Globalization;
using FileVault.Core;
using FileVault.Core.Devices;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Devices;

/// <summary>The desk: tiles, the scan field that opens check-out or check-in, overdue rentals and the device list.</summary>
public partial class DeskView
{
    private DeskTiles _tiles = new(0, 0, 0, 0);
    private IReadOnlyList<RentalRow> _overdue = [];
    private ScanField? _scan;
    private DeviceTable? _table;
    private DeskActor _actor = default!;

    [Inject] private DeviceQueries Queries { get; set; } = default!;
    [Inject] private UserTimeZone TimeZone { get; set; } = default!;
    [Inject] private DeskService Desk { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = DeskActor.From((await AuthenticationState).User);
        await TimeZone.ResolveAsync();
        await ReloadSummaryAsync();
    }

    private async Task ReloadSummaryAsync()
    {
        _tiles = await Queries.TilesAsync(_actor, CancellationToken.None);
        _overdue = await Queries.OverdueAsync(_actor, CancellationToken.None);
    }

    private async Task ReloadAsync()
    {
        await ReloadSummaryAsync();
        if (_table is not null)
        {
            await _table.ReloadAsync();
        }
    }

    private async Task SelectTileAsync(DeviceStatus? status)
    {
        if (_table is not null)
        {
            await _table.FilterAsync(status, overdueOnly: status is null);
        }
    }

    /// <summary>A scanned tag opens what the device needs next: check-out when it is available, check-in when it is out.</summary>
    private async Task ScannedAsync(string tag)
    {
        var device = await Queries.FindByTagAsync(_actor, tag, CancellationToken.None);
        if (device is null)
        {
            Snackbar.Add(L.Describe(DeviceLifecycle.Errors.NotFound) + $" ({tag})", Severity.Warning);
            return;
        }

        switch (device.Status)
        {
            case DeviceStatus.Available:
                await CheckOutAsync(device);
                break;
            case DeviceStatus.Rented:
                await CheckInAsync(device);
                break;
            default:
                var error = DeviceLifecycle.Next(device.Status, DeviceAction.CheckOut).Error!;
                Snackbar.Add(L.Describe(error), Severity.Warning);
                break;
        }
    }

    private async Task CheckOutAsync(DeviceRow device)
    {
        var parameters = new DialogParameters<CheckOutDialog> { { d => d.Device, device }, { d => d.Actor, _actor } };
        await ShowAndReloadAsync<CheckOutDialog>(Format("Desk_CheckOutOf", device.AssetTag), parameters, "Desk_CheckedOut");
    }

    private async Task CheckInAsync(DeviceRow device)
    {
        var parameters = new DialogParameters<CheckInDialog> { { d => d.Device, device }, { d => d.Actor, _actor } };
        await ShowAndReloadAsync<CheckInDialog>(Format("Desk_CheckInOf", device.AssetTag), parameters, "Desk_CheckedIn");
    }

    private async Task RegisterAsync()
    {
        var parameters = new DialogParameters<DeviceDialog> { { d => d.Actor, _actor } };
        await ShowAndReloadAsync<DeviceDialog>(L["Desk_Register"], parameters, "Desk_Saved");
    }

    private async Task ActAsync((DeviceRow Device, string Action) request)
    {
        var device = request.Device;
        switch (request.Action)
        {
            case "history":
                await Dialogs.ShowAsync<DeviceHistoryDialog>(Format("Desk_HistoryOf", device.AssetTag),
                    new DialogParameters<DeviceHistoryDialog> { { d => d.Device, device }, { d => d.Actor, _actor } },
                    new DialogOptions { MaxWidth = MaxWidth.Large, FullWidth = true, CloseButton = true });
                break;
            case "edit":
                await ShowAndReloadAsync<DeviceDialog>(Format("Desk_EditOf", device.AssetTag),
                    new DialogParameters<DeviceDialog> { { d => d.Actor, _actor }, { d => d.DeviceId, device.Id } }, "Desk_Saved");
                break;
            case "checkout":
                await CheckOutAsync(device);
                break;
            case "checkin":
                await CheckInAsync(device);
                break;
            case "repair":
                await ChangeStatusAsync(device, DeviceAction.SendToRepair);
                break;
            case "repaired":
                await ChangeStatusAsync(device, DeviceAction.ReturnFromRepair);
                break;
            case "retire":
                var confirmed = await Dialogs.ShowMessageBoxAsync(Format("Desk_RetireTitle", device.AssetTag), L["Desk_RetireText"],
                    yesText: L["Desk_Retire"], cancelText: L["Desk_Cancel"]);
                if (confirmed == true)
                {
                    await ChangeStatusAsync(device, DeviceAction.Retire);
                }

                break;
        }

        await FocusScanAsync();
    }

    private async Task ChangeStatusAsync(DeviceRow device, DeviceAction action)
    {
        var result = await Desk.ChangeStatusAsync(_actor, device.Id, action, null, CancellationToken.None);
        Report(result.Error, "Desk_StatusChanged");
        await ReloadAsync();
    }

    private async Task ShowAndReloadAsync<TDialog>(string title, DialogParameters<TDialog> parameters, string successKey)
        where TDialog : ComponentBase
    {
        var dialog = await Dialogs.ShowAsync<TDialog>(title, parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add(L[successKey], Severity.Success);
            await ReloadAsync();
            StateHasChanged();
        }

        await FocusScanAsync();
    }

    private async Task FocusScanAsync()
    {
        if (_scan is not null)
        {
            await _scan.FocusAsync();
        }
    }

    private void Report(Error? error, string successKey) =>
        Snackbar.Add(error is null ? L[successKey] : L.Describe(error), error is null ? Severity.Success : Severity.Warning);

    private string Format(string key, object value) => string.Format(CultureInfo.CurrentCulture, L[key], value);
}

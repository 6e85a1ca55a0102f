using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace FileVault.Web.Components.Shared;

/// <summary>
/// A mouse or drag event on a row of the entry list, raised by the list's container: <see cref="Index"/> is the row's
/// place in the folder (its <c>data-index</c>), -1 when the event happened between rows. The browser side is
/// <c>wwwroot/FileVault.Web.lib.module.js</c>.
/// </summary>
public sealed class RowEventArgs : MouseEventArgs
{
    public int Index { get; set; } = -1;
}

/// <summary>
/// The row events (<c>@onrowclick</c>, …): the browser's events of the same name, found on the row they happened in.
/// Razor finds custom events only on a public class named EventHandlers whose namespace is imported
/// (Components/_Imports.razor imports this one).
/// </summary>
[EventHandler("onrowclick", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdblclick", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowcontextmenu", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdragstart", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdragend", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdragenter", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdragleave", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
[EventHandler("onrowdrop", typeof(RowEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
public static class EventHandlers
{
}

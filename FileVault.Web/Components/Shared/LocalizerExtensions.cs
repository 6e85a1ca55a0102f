using FileVault.Core;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Components.Shared;

public static class LocalizerExtensions
{
    /// <summary>The localised text for an error code ("Error_&lt;code&gt;"), or the error's own message when there is none.</summary>
    public static string Describe(this IStringLocalizer localizer, Error error)
    {
        var text = localizer["Error_" + error.Code];
        return text.ResourceNotFound ? error.Message : text.Value;
    }
}

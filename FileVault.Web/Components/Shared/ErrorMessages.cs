using FileVault.Core;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Components.Shared;

public static class ErrorMessages
{
    /// <summary>The localized text for a Core error code ("Error_" + code), or a generic one naming the code.</summary>
    public static string ErrorText(this IStringLocalizer<SharedResource> localizer, Error error)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        ArgumentNullException.ThrowIfNull(error);
        var text = localizer["Error_" + error.Code];
        return text.ResourceNotFound ? localizer["Error_Refused", error.Code].Value : text.Value;
    }
}

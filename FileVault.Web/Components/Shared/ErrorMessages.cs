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
        return localizer["Error_" + error.Code].ResourceNotFound ? localizer["Error_Refused", error.Code].Value : localizer.Describe(error);
    }
}

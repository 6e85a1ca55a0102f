using FileVault.Core;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Components.Shared;

public static class LocalizerExtensions
{
    /// <summary>The localised text for an error code ("Error_&lt;code&gt;"), or the error's own message when there is none.</summary>
    /// <remarks>An error's values fill the text's placeholders; a value that names a job type ("move") is said in the user's language.</remarks>
    public static string Describe(this IStringLocalizer localizer, Error error)
    {
        var args = (error.Args ?? []).Select(arg => localizer["JobType_" + arg] is { ResourceNotFound: false } type ? type.Value : arg).ToArray();
        var text = args.Length == 0 ? localizer["Error_" + error.Code] : localizer["Error_" + error.Code, args];
        // A text with placeholders but an error without their values: the error's own message says more.
        return text.ResourceNotFound || (args.Length == 0 && text.Value.Contains("{0}", StringComparison.Ordinal)) ? error.Message : text.Value;
    }
}

using System.Globalization;
using FileVault.Core.Jobs;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Components.Shared;

/// <summary>How jobs read to people: the localized kind of work and what it works on. Used by the Jobs page and the toasts.</summary>
public static class JobText
{
    public static string TypeName(this IStringLocalizer<SharedResource> localizer, string type)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        var text = localizer["JobType_" + type];
        return text.ResourceNotFound ? localizer["JobType_Other", type].Value : text.Value;
    }

    public static string StatusName(this IStringLocalizer<SharedResource> localizer, JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        return localizer["JobStatus_" + status].Value;
    }

    /// <summary>"보고서.txt 외 2개 → 보관", or the progress text while the job reports one.</summary>
    public static string SubjectText(this IStringLocalizer<SharedResource> localizer, JobSubject subject)
    {
        ArgumentNullException.ThrowIfNull(localizer);
        ArgumentNullException.ThrowIfNull(subject);
        var what = subject switch
        {
            { Name: { } name, Count: > 1 } => localizer["Jobs_SubjectMore", name, (subject.Count - 1).ToString("N0", CultureInfo.CurrentCulture)].Value,
            { Name: { } name } => name,
            { Count: > 0 } => localizer["Jobs_SubjectItems", subject.Count.ToString("N0", CultureInfo.CurrentCulture)].Value,
            _ => "",
        };
        if (subject.Destination is not { } destination)
        {
            return what;
        }

        var to = destination.Length == 0 ? localizer["Jobs_RootFolder"].Value : destination;
        return localizer["Jobs_SubjectTo", what, to].Value;
    }
}

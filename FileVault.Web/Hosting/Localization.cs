using Microsoft.AspNetCore.Localization;

namespace FileVault.Web.Hosting;

/// <summary>Korean and English: the culture cookie first, then the browser's Accept-Language (ko-* gives Korean), else English.</summary>
public static class Localization
{
    public static readonly string[] SupportedCultures = ["en", "ko"];

    public static RequestLocalizationOptions CreateOptions()
    {
        var options = new RequestLocalizationOptions()
            .SetDefaultCulture("en")
            .AddSupportedCultures(SupportedCultures)
            .AddSupportedUICultures(SupportedCultures);
        options.FallBackToParentCultures = true;
        options.FallBackToParentUICultures = true;
        options.RequestCultureProviders =
        [
            new CookieRequestCultureProvider(),
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
        return options;
    }
}

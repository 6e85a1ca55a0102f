using MudBlazor;

namespace FileVault.Web.Components.Layout;

/// <summary>The one place the look is decided.</summary>
public static class FileVaultTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            Secondary = "#5c6b7a",
            AppbarBackground = "#1f5fbf",
            Background = "#f6f8fb",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7aa7ff",
            Secondary = "#9aa8b6",
            AppbarBackground = "#1b2230",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["Pretendard", "Noto Sans KR", "Noto Sans CJK KR", "Segoe UI", "Roboto", "sans-serif"],
            },
        },
    };
}

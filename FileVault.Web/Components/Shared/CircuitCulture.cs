using System.Globalization;

namespace FileVault.Web.Components.Shared;

/// <summary>
/// The culture a circuit renders in. Events raised on background threads (a scan finishing, a job's progress) carry
/// that thread's culture into InvokeAsync; a component captures its culture when it starts and applies it in such
/// callbacks, so the page does not switch language mid-session.
/// </summary>
public readonly record struct CircuitCulture(CultureInfo Culture, CultureInfo UICulture)
{
    public static CircuitCulture Capture() => new(CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);

    public void Apply()
    {
        CultureInfo.CurrentCulture = Culture;
        CultureInfo.CurrentUICulture = UICulture;
    }
}

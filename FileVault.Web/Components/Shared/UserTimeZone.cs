using System.Globalization;
using FileVault.Core;
using Microsoft.JSInterop;

namespace FileVault.Web.Components.Shared;

/// <summary>
/// The reader's time zone for one circuit, asked of the browser once (<c>Intl.DateTimeFormat().resolvedOptions()</c>),
/// and the one place a page turns an instant into the text it shows. Core gets <see cref="Zone"/> wherever it draws day
/// boundaries (search date filters, the usage report); nothing in Web reads the server's zone.
/// </summary>
public sealed class UserTimeZone(IJSRuntime js, TimeProvider time, ILogger<UserTimeZone> logger)
{
    private Task<TimeZoneInfo>? _asking;

    /// <summary>UTC until the browser has answered; see <see cref="IsKnown"/>.</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>False while prerendering (there is no browser to ask yet) and before the first answer.</summary>
    public bool IsKnown { get; private set; }

    /// <summary>The browser's zone, asked once per circuit; UTC while prerendering or when the browser names a zone this server does not know.</summary>
    public Task<TimeZoneInfo> ResolveAsync()
    {
        if (IsKnown)
        {
            return Task.FromResult(Zone);
        }

        return _asking ??= AskAsync();
    }

    /// <summary><paramref name="value"/> on the reader's clock, in the page's culture (<c>g</c>, <c>F</c>, <c>HH:mm</c>, …).</summary>
    public string Format(DateTimeOffset value, string format = "g") =>
        TimeZoneInfo.ConvertTime(value, Zone).ToString(format, CultureInfo.CurrentCulture);

    /// <summary>The reader's today.</summary>
    public DateOnly Today() => TimeZones.DayOf(time.GetUtcNow(), Zone);

    /// <summary>The reader's day <paramref name="instant"/> falls on, as a date picker wants it.</summary>
    public DateTime LocalDay(DateTimeOffset instant) => TimeZones.DayOf(instant, Zone).ToDateTime(TimeOnly.MinValue);

    /// <summary>The first instant of a day picked on the page.</summary>
    public DateTimeOffset StartOfDay(DateTime day) => TimeZones.StartOfDay(DateOnly.FromDateTime(day), Zone);

    private async Task<TimeZoneInfo> AskAsync()
    {
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", "./js/timezone.js");
            var id = await module.InvokeAsync<string?>("zone");
            var found = TimeZones.Find(id);
            if (!found.IsSuccess)
            {
                logger.LogWarning("The browser's time zone {Zone} is unknown here; showing times in UTC", id);
            }

            Zone = found.IsSuccess ? found.Value : TimeZoneInfo.Utc;
            IsKnown = true;
            return Zone;
        }
        catch (InvalidOperationException)
        {
            // Prerendering: no browser yet. The interactive render asks again in its own scope.
            _asking = null;
            return Zone;
        }
        catch (JSException exception)
        {
            logger.LogWarning(exception, "The browser did not tell its time zone; showing times in UTC");
            IsKnown = true;
            return Zone;
        }
    }
}

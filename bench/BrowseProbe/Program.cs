// bench/browse.sh's browser half: in Debian's Chromium, signs in, opens a folder and times, from the navigation's start,
// when its first rows are visible, then scrolls the list to the end and times until its last row is visible.
//
//   BrowseProbe --url http://127.0.0.1:5000 --email E --password P --folder /files/1/... --children N [--runs 3]
//
// One warm-up navigation first (not counted: it pays for the first query of the folder), then --runs measured ones,
// each a fresh page load in the signed-in context. Prints `name: value` lines (medians of the runs) on stdout and
// every run on stderr. The times are the page's own performance.now(), taken in the animation frame after the DOM
// change, so Playwright's polling does not add to them.
using System.Globalization;
using Microsoft.Playwright;

var url = Option("--url") ?? "http://127.0.0.1:5000";
var email = Option("--email");
var password = Option("--password");
var folder = Option("--folder");
var children = int.TryParse(Option("--children"), CultureInfo.InvariantCulture, out var count) ? count : 0;
var runs = int.TryParse(Option("--runs"), CultureInfo.InvariantCulture, out var n) ? n : 3;
var chromium = Option("--chromium") ?? "/usr/bin/chromium";
if (email is null || password is null || folder is null || children < 1 || runs < 1)
{
    await Console.Error.WriteLineAsync("usage: BrowseProbe --url URL --email E --password P --folder /files/ROOT/PATH --children N [--runs 3] [--chromium PATH]");
    return 2;
}

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium,
    Headless = true,
    Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
});
await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
{
    BaseURL = url,
    Locale = "ko-KR",
    ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
});
context.SetDefaultTimeout(60_000);
await context.AddInitScriptAsync(Marks.Script(children - 1));

var page = await context.NewPageAsync();
try
{
    // Signing in lands on /files: the app's scripts and styles are in the browser's cache from then on.
    await page.GotoAsync("/account/login");
    await page.FillAsync("#email", email);
    await page.FillAsync("#password", password);
    await page.ClickAsync("#sign-in-submit");
    await page.WaitForURLAsync(address => !address.Contains("/account/login", StringComparison.Ordinal));
    await page.Locator("#fv-interactive").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    var measured = new List<Run>();
    for (var i = 0; i <= runs; i++)
    {
        var run = await MeasureAsync(page, folder);
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"[probe] {(i == 0 ? "warm-up" : $"run {i}")}: interactive {run.InteractiveMs:F0} ms, first rows {run.FirstRowsMs:F0} ms, scroll to end {run.ScrollEndMs:F0} ms ({run.Scrolls} scroll(s))"));
        if (i > 0)
        {
            measured.Add(run);
        }
    }

    Print("ui_runs", measured.Count.ToString(CultureInfo.InvariantCulture));
    Print("ui_interactive_ms", Median(measured.Select(r => r.InteractiveMs)));
    Print("ui_first_rows_ms", Median(measured.Select(r => r.FirstRowsMs)));
    Print("ui_scroll_end_ms", Median(measured.Select(r => r.ScrollEndMs)));
    return 0;
}
catch (Exception e) when (e is PlaywrightException or TimeoutException)
{
    var screenshot = Path.Combine(Path.GetTempPath(), "browse-probe-failure.png");
    await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
    await Console.Error.WriteLineAsync($"[probe] failed at {page.Url}: {e.Message}\n[probe] screenshot: {screenshot}");
    return 1;
}

static async Task<Run> MeasureAsync(IPage page, string folder)
{
    await page.GotoAsync(folder, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
    await page.WaitForFunctionAsync("() => window.__fvBench.firstRow !== undefined && window.__fvBench.interactive !== undefined");
    await page.EvaluateAsync(Marks.ScrollToEnd);
    // Like a user holding End: if Virtualize settles before the last row (row heights it had to measure), scroll again.
    var deadline = DateTime.UtcNow.AddSeconds(60);
    var scrolls = 1;
    while (!await page.EvaluateAsync<bool>("() => window.__fvBench.lastRow !== undefined"))
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("the last row did not render within 60 s of scrolling to the end");
        }

        await Task.Delay(250);
        scrolls += await page.EvaluateAsync<bool>(Marks.ScrollAgain) ? 1 : 0;
    }

    var marks = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__fvBench");
    return new Run(marks["interactive"], marks["firstRow"], marks["lastRow"] - marks["scrollStart"], scrolls);
}

static string Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    return median.ToString("F0", CultureInfo.InvariantCulture);
}

static void Print(string name, string value) => Console.WriteLine($"{name}: {value}");

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

/// <summary>
/// One navigation's times in milliseconds: interactive and first rows from its start, the last row from the first scroll;
/// and how many scrolls it took to reach the last row.
/// </summary>
internal sealed record Run(double InteractiveMs, double FirstRowsMs, double ScrollEndMs, int Scrolls);

/// <summary>The page side: a MutationObserver that notes, in the next animation frame, when each awaited thing shows.</summary>
internal static class Marks
{
    public static string Script(int lastIndex) => """
        (() => {
          const last = "__LAST__";
          const marks = {};
          window.__fvBench = marks;
          const shown = (row, box) => {
            const r = row.getBoundingClientRect(), b = box.getBoundingClientRect();
            return r.height > 0 && r.bottom > b.top && r.top < b.bottom;
          };
          const check = () => {
            pending = false;
            const now = performance.now();
            if (marks.interactive === undefined && document.getElementById('fv-interactive')) marks.interactive = now;
            const box = document.getElementById('entry-rows');
            if (!box) return;
            if (marks.firstRow === undefined) {
              const row = box.querySelector('.fv-entry-row[data-entry-id]');
              if (row && shown(row, box)) marks.firstRow = now;
            }
            if (marks.scrollStart !== undefined && marks.lastRow === undefined) {
              const row = box.querySelector(`.fv-entry-row[data-index="${last}"]`);
              if (row && shown(row, box)) marks.lastRow = now;
            }
          };
          let pending = false;
          const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(check); } };
          new MutationObserver(schedule).observe(document, { childList: true, subtree: true, attributes: true });
          document.addEventListener('scroll', schedule, true);
        })();
        """.Replace("__LAST__", lastIndex.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public const string ScrollToEnd = """
        () => {
          const box = document.getElementById('entry-rows');
          window.__fvBench.scrollStart = performance.now();
          box.scrollTop = box.scrollHeight;
        }
        """;

    public const string ScrollAgain = """
        () => {
          const box = document.getElementById('entry-rows');
          if (window.__fvBench.lastRow !== undefined || box.scrollTop + box.clientHeight >= box.scrollHeight - 1) return false;
          box.scrollTop = box.scrollHeight;
          return true;
        }
        """;
}

using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium for the browser tests, driven by Playwright with an explicit executable path
/// (browser downloads are impossible here). The flags keep it off the closed network and allow running as root.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private readonly List<(Uri Address, IBrowserContext Context)> _contexts = [];
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(TestEnvironment.ChromiumPath),
            $"Chromium not found at {TestEnvironment.ChromiumPath}; scripts/test.sh installs Debian's chromium package.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A fresh context (cookies, storage) in the given browser language (and time zone, an IANA id; the machine's without one).</summary>
    /// <remarks>
    /// The browser tests run one at a time (one collection) and each class serves its own app: contexts left open by
    /// earlier classes belong to apps that are gone, and their pages would keep trying to reconnect, so they are closed.
    /// </remarks>
    public async Task<IPage> NewPageAsync(Uri baseAddress, string locale, string? timezoneId = null)
    {
        foreach (var stale in _contexts.Where(c => c.Address != baseAddress).ToList())
        {
            _contexts.Remove(stale);
            await stale.Context.CloseAsync();
        }

        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            // nginx in the tests presents a self-signed certificate made for the run (NginxProxy).
            IgnoreHTTPSErrors = baseAddress.Scheme == Uri.UriSchemeHttps,
            Locale = locale,
            TimezoneId = timezoneId,
            ColorScheme = ColorScheme.Light,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        // Generous: on a 2-core machine busy with a parallel build, a circuit's round trip has taken over 15 s; a test
        // that passes waits no longer for it.
        context.SetDefaultTimeout(30_000);
        _contexts.Add((baseAddress, context));
        return await context.NewPageAsync();
    }

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in-submit");
    }

    /// <summary>Signs in as the first admin and waits for the file browser the sign-in lands on.</summary>
    public static async Task SignInAsAdminAsync(IPage page)
    {
        await SignInAsync(page, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
    }

    /// <summary>Waits until the page's Blazor circuit is connected and has rendered once.</summary>
    public static async Task WaitForInteractiveAsync(IPage page) =>
        await page.Locator("#fv-interactive").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    /// <summary>Saves a screenshot next to the test results, for a person to look at.</summary>
    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(TestEnvironment.ArtifactsDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>The app on a real Kestrel socket, for Chromium.</summary>
public class KestrelAppFactory : FileVaultAppFactory
{
    public KestrelAppFactory()
    {
    }

    /// <summary>Not public (xUnit needs one public constructor on a class fixture): a second instance of <paramref name="sharedWith"/>'s app (see <see cref="FileVaultAppFactory(FileVaultAppFactory)"/>).</summary>
    internal KestrelAppFactory(FileVaultAppFactory sharedWith)
        : base(sharedWith)
    {
    }

    public Uri BaseAddress { get; private set; } = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        BaseAddress = StartKestrel();
        await WaitUntilReadyAsync();
    }
}

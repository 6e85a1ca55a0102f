using System.Net;
using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Scanning;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The real app (Program.cs) against its own fresh PostgreSQL database, the real Redis and a temp storage root.
/// One per test class. <see cref="StartKestrel"/> puts it on a real socket for Chromium.
/// </summary>
public partial class FileVaultAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@filevault.test";
    public const string AdminPassword = "first-admin-pw-2026";
    public const string UserPassword = "user-password-2026";

    private readonly FileVaultAppFactory? _sharedWith;
    private TestDatabase? _database;

    public FileVaultAppFactory() => StorageDirectory = Directory.CreateTempSubdirectory("filevault-root-").FullName;

    /// <summary>
    /// Not public: xUnit needs one public constructor on a class fixture. Another instance of the app <paramref name="sharedWith"/> runs: its database, Redis and storage root, which that
    /// one owns (initialize it first, dispose it last).
    /// </summary>
    protected FileVaultAppFactory(FileVaultAppFactory sharedWith)
    {
        _sharedWith = sharedWith;
        StorageDirectory = sharedWith.StorageDirectory;
    }

    public TestDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public string StorageDirectory { get; }

    /// <summary>More configuration for the app (key as in appsettings, ':' separated), set before it starts.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>Redis connection string; a test of the outage path points it at a closed port.</summary>
    protected virtual string RedisConnectionString => TestEnvironment.Redis;

    public virtual async Task InitializeAsync() => _database = _sharedWith?.Database ?? await TestDatabase.CreateAsync();

    /// <summary>Serves on 127.0.0.1 with a free port and returns the base address.</summary>
    public Uri StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Postgres", Database.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", RedisConnectionString);
        builder.UseSetting("FILEVAULT_ADMIN_EMAIL", AdminEmail);
        builder.UseSetting("FILEVAULT_ADMIN_PASSWORD", AdminPassword);
        builder.UseSetting("FileVault:Seed:StorageRoot", StorageDirectory);
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.UseSetting("FileVault:Scanner:SchedulesEnabled", "false");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Waits until start-up migration and seeding are done.</summary>
    public async Task WaitUntilReadyAsync()
    {
        var state = Services.GetRequiredService<DatabaseState>();
        for (var i = 0; i < 300 && !state.IsReady; i++)
        {
            await Task.Delay(100);
        }

        Assert.True(state.IsReady, "The app did not finish migrating and seeding: " + state.LastError);
    }

    /// <summary>Creates a user with the given roles and the shared test password.</summary>
    /// <summary>Runs a full scan of the app's one storage root (what the test put in <see cref="StorageDirectory"/>); its id.</summary>
    public async Task<int> ScanStorageAsync()
    {
        await using var db = Database.CreateDbContext();
        var rootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        var run = await Services.GetRequiredService<Scanner>().RunAsync(rootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
        return rootId;
    }

    public async Task<FileVaultUser> CreateUserAsync(string email, params string[] roles)
    {
        await WaitUntilReadyAsync();
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
        var user = new FileVaultUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = email };
        var result = await users.CreateAsync(user, UserPassword);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        if (roles.Length > 0)
        {
            await users.AddToRolesAsync(user, roles);
        }

        return user;
    }

    /// <summary>A cookie-keeping client that does not follow redirects, so tests see them.</summary>
    public HttpClient CreateBrowserLikeClient(string? acceptLanguage = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        if (acceptLanguage is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Language", acceptLanguage);
        }

        return client;
    }

    /// <summary>Posts the sign-in form the way a browser does (antiforgery token included) and returns the response.</summary>
    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var path = returnUrl is null ? "/account/login" : "/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl);
        var form = await client.GetStringAsync(path);
        return await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = ReadAntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The antiforgery token of the first form in a page.</summary>
    public static string ReadAntiforgeryToken(string html)
    {
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, "The page has no antiforgery token.");
        return WebUtility.HtmlDecode(token.Groups[1].Value);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_sharedWith is not null)
        {
            return;
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Directory.Delete(StorageDirectory, recursive: true);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

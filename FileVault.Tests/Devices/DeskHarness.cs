using FileVault.Core.Access;
using FileVault.Core.Devices;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FileVault.Tests.Devices;

/// <summary>Core's desk services over a fresh database, with a clock the test moves.</summary>
public sealed class DeskHarness : IAsyncDisposable
{
    public static readonly DeskActor Desk = new(Guid.NewGuid(), "desk@filevault.test", RunsDesk: true, ManagesDevices: false);
    public static readonly DeskActor Admin = new(Guid.NewGuid(), "admin@filevault.test", RunsDesk: true, ManagesDevices: true);
    public static readonly DeskActor Employee = new(Guid.NewGuid(), "user@filevault.test", RunsDesk: false, ManagesDevices: false);

    private DeskHarness(TestDatabase database, ServiceProvider services, FakeTimeProvider time)
    {
        Database = database;
        Services = services;
        Time = time;
    }

    public TestDatabase Database { get; }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    public DeskService Desk_ => Services.GetRequiredService<DeskService>();

    public DeviceQueries Queries => Services.GetRequiredService<DeviceQueries>();

    public UsageReport Report => Services.GetRequiredService<UsageReport>();

    public static async Task<DeskHarness> CreateAsync()
    {
        var database = await TestDatabase.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        return new DeskHarness(database, CoreServices.Build(database, time: time), time);
    }

    public async Task<int> RegisterAsync(string tag, string model = "Galaxy S24")
    {
        var result = await Desk_.RegisterAsync(Admin, new DeviceInput(tag, "Samsung", model, "Android", "14", "IMEI-" + tag, new DateOnly(2025, 1, 10), null), default);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public async Task<long> CheckOutAsync(string tag, string borrower, string? department = null, TimeSpan? dueIn = null)
    {
        var result = await Desk_.CheckOutAsync(Desk, new CheckOutRequest(tag, new Borrower(null, borrower, department), "테스트", Time.GetUtcNow() + (dueIn ?? TimeSpan.FromDays(7))), default);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public async Task<FileVaultUser> CreateUserAsync(string email, string displayName)
    {
        await using var db = Database.CreateDbContext();
        var user = new FileVaultUser { Id = Guid.NewGuid(), UserName = email, Email = email, DisplayName = displayName, NormalizedEmail = email.ToUpperInvariant(), NormalizedUserName = email.ToUpperInvariant() };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Database.DisposeAsync();
    }
}

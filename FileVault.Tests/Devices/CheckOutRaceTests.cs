using FileVault.Core.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Devices;

public sealed class CheckOutRaceTests : IAsyncLifetime
{
    private const int Desks = 10;
    private DeskHarness _desk = default!;

    public async Task InitializeAsync() => _desk = await DeskHarness.CreateAsync();

    public async Task DisposeAsync() => await _desk.DisposeAsync();

    [Theory]
    [InlineData("RACE-1")]
    [InlineData("RACE-2")]
    [InlineData("RACE-3")]
    public async Task Of_ten_desks_checking_out_the_same_device_at_once_exactly_one_wins(string tag)
    {
        var id = await _desk.RegisterAsync(tag);
        var due = _desk.Time.GetUtcNow().AddDays(3);
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, Desks).Select(i => Task.Run(async () =>
        {
            // Each desk in its own scope, with its own DbContext and connection, released together.
            await using var scope = _desk.Services.CreateAsyncScope();
            var desk = scope.ServiceProvider.GetRequiredService<DeskService>();
            start.Wait();
            return await desk.CheckOutAsync(DeskHarness.Desk, new CheckOutRequest(tag, new Borrower(null, $"직원{i}", "영업부"), null, due), default);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.IsSuccess);
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal("device.already_rented", r.Error!.Code));
        await using var db = _desk.Database.CreateDbContext();
        var rental = await db.Rentals.SingleAsync(r => r.DeviceId == id);
        Assert.Equal(results.Single(r => r.IsSuccess).Value, rental.Id);
        Assert.Null(rental.ReturnedAt);
        Assert.Equal(DeviceStatus.Rented, (await db.Devices.SingleAsync(d => d.Id == id)).Status);
        Assert.Equal(1, await db.DeviceEvents.CountAsync(e => e.DeviceId == id && e.Kind == DeviceEventKind.CheckedOut));
    }

    [Fact]
    public async Task Of_ten_desks_checking_in_the_same_device_at_once_exactly_one_does()
    {
        var id = await _desk.RegisterAsync("RACE-IN");
        await _desk.CheckOutAsync("RACE-IN", "김민수");
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, Desks).Select(_ => Task.Run(async () =>
        {
            await using var scope = _desk.Services.CreateAsyncScope();
            var desk = scope.ServiceProvider.GetRequiredService<DeskService>();
            start.Wait();
            return await desk.CheckInAsync(DeskHarness.Desk, new CheckInRequest("RACE-IN", null, false), default);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.IsSuccess);
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal("device.not_rented", r.Error!.Code));
        await using var db = _desk.Database.CreateDbContext();
        Assert.Equal(DeviceStatus.Available, (await db.Devices.SingleAsync(d => d.Id == id)).Status);
        Assert.Equal(1, await db.DeviceEvents.CountAsync(e => e.DeviceId == id && e.Kind == DeviceEventKind.CheckedIn));
    }
}

using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FileVault.Tests.Scanning;

/// <summary>Two app instances on one catalog and one real Redis: each sees and can cancel the other's scans.</summary>
public sealed class ScanProgressRelayTests : IAsyncLifetime
{
    private ScanHarness _instanceA = default!;
    private ServiceProvider _instanceB = default!;
    private readonly List<IHostedService> _relays = [];

    public async Task InitializeAsync()
    {
        _instanceA = await ScanHarness.CreateAsync(root =>
        {
            for (var i = 0; i < 5; i++)
            {
                Directory.CreateDirectory(Path.Combine(root, $"폴더{i}"));
                File.WriteAllText(Path.Combine(root, $"폴더{i}", "a.txt"), "a");
            }
        });
        _instanceB = CoreServices.Build(_instanceA.Database);
        foreach (var relay in new[] { _instanceA.Get<IServiceProvider>(), _instanceB }.Select(sp => ActivatorUtilities.CreateInstance<ScanProgressRelay>(sp)))
        {
            await relay.StartAsync(CancellationToken.None);
            _relays.Add(relay);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var relay in _relays)
        {
            await relay.StopAsync(CancellationToken.None);
        }

        await _instanceB.DisposeAsync();
        await _instanceA.DisposeAsync();
    }

    [Fact]
    public async Task A_scan_on_one_instance_shows_on_the_other_and_is_cancelled_from_there()
    {
        // Hold instance A's walk inside one folder until the test lets go.
        var inside = new TaskCompletionSource();
        var release = new ManualResetEventSlim();
        NativeDirectoryFaults.Set(_instanceA.PathOf("폴더2"), () =>
        {
            inside.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(20));
            return null;
        });
        var scan = Task.Run(() => _instanceA.ScanAsync(ScanKind.Full));
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var monitorB = _instanceB.GetRequiredService<ScanMonitor>();
        var seenFromB = await EventuallyAsync(() => monitorB.Running.Any(r => r.RootId == _instanceA.RootId));
        Assert.True(seenFromB, "Instance B never saw instance A's scan.");

        var cancel = await _instanceB.GetRequiredService<ScanLauncher>().CancelAsync(AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]), _instanceA.RootId, CancellationToken.None);
        Assert.True(cancel.IsSuccess, cancel.Error?.ToString());
        release.Set();

        var run = await scan.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(ScanStatus.Cancelled, run.Status);
        Assert.True(await EventuallyAsync(() => !monitorB.Running.Any(r => r.RootId == _instanceA.RootId)));
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}

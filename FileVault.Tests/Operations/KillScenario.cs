using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Operations;

/// <summary>
/// What the SIGKILL tests share: a scanned root with a seeded tree under <c>원본</c> whose hashes are known, an admin
/// to request the job, and the checks at the end (no temporary file left, the catalog agrees with the disk, and a
/// new scan finds nothing to change). Each test class writes its own tree and kills the job runner its own way.
/// </summary>
public abstract class KillScenario : IAsyncLifetime
{
    protected ScanHarness Harness { get; private set; } = default!;

    protected AccessSubject Admin { get; private set; } = default!;

    /// <summary>SHA-256 of every file under <c>원본</c> before the job, by relative path.</summary>
    protected Dictionary<string, string> Hashes { get; private set; } = default!;

    protected abstract int FileCount { get; }

    protected abstract string AdminEmail { get; }

    /// <summary>Writes the tree into the new root (its <c>원본</c> folder holds <see cref="FileCount"/> files).</summary>
    protected abstract void WriteTree(string root);

    public async Task InitializeAsync()
    {
        Harness = await ScanHarness.CreateAsync(WriteTree);
        Assert.Equal(ScanStatus.Completed, (await Harness.ScanAsync(ScanKind.Full)).Status);
        Hashes = RandomTree.Hashes(Harness.Root, "원본");
        Assert.Equal(FileCount, Hashes.Count);
        Admin = await HarnessUsers.CreateAsync(Harness, AdminEmail, Roles.Admin);
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();

    protected List<string> Temporaries() =>
        Directory.EnumerateFiles(Harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories).ToList();

    protected async Task AssertNoTemporariesAndCatalogAgreesAsync()
    {
        Assert.Empty(Temporaries());
        await Harness.AssertCatalogMatchesDiskAsync();
        var rescan = await Harness.ScanAsync(ScanKind.Full);
        Assert.Equal((0, 0, 0), (rescan.Added, rescan.Missing, rescan.Updated));
    }
}

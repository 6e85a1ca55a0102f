using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// What the SIGKILL tests share: a scanned root with a seeded tree under <c>원본</c> whose hashes are known, an admin
/// to request the job, the runner process killed again and again while it works on the job
/// (<see cref="RunWithKillsAsync"/>), and the checks at the end (no temporary file left, the catalog agrees with the
/// disk, and a new scan finds nothing to change). Each test class writes its own tree and says when to kill.
/// </summary>
public abstract class KillScenario(ITestOutputHelper output) : IAsyncLifetime
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

    /// <summary>
    /// Starts the job runner process (<c>jobs --until-idle</c>) and SIGKILLs it once it has claimed the job anew and
    /// <see cref="KillPlan.Ready"/> holds, a <see cref="KillPlan.Delay"/> later — until <see cref="KillPlan.Kills"/>
    /// kills have landed while the job ran or <see cref="KillPlan.MaxAttempts"/> processes were started — then lets a
    /// last process finish it. Returns the job as it ended.
    /// </summary>
    protected async Task<Job> RunWithKillsAsync(long jobId, KillPlan plan)
    {
        var ledger = Harness.Get<JobLedger>();
        var killedWhileRunning = 0;
        for (var attempt = 0; killedWhileRunning < plan.Kills && attempt < plan.MaxAttempts; attempt++)
        {
            using var child = JobRunnerProcess.Start(Harness);
            var attemptsBefore = (await ledger.GetAsync(jobId, default))!.Attempts;
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (!child.HasExited && DateTime.UtcNow < deadline
                && !(await ledger.GetAsync(jobId, default) is { Status: JobStatus.Running } job && job.Attempts > attemptsBefore && plan.Ready(attempt)))
            {
                await Task.Delay(10);
            }

            await Task.Delay(plan.Delay(attempt));
            if (child.HasExited)
            {
                Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode}; its log: {JobRunnerProcess.LogOf(child)}");
                break;
            }

            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            var state = (await ledger.GetAsync(jobId, default))!;
            output.WriteLine($"kill {attempt + 1}: job {state.Status}, progress {state.Progress:P0}, temporaries {Temporaries().Count}");
            if (state.Status == JobStatus.Running)
            {
                killedWhileRunning++;
            }

            plan.AfterKill();
        }

        using (var last = JobRunnerProcess.Start(Harness))
        {
            await last.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(last.ExitCode == 0, $"exit code {last.ExitCode}; its log: {JobRunnerProcess.LogOf(last)}");
        }

        Assert.True(killedWhileRunning >= plan.MinKillsWhileRunning, $"only {killedWhileRunning} kills landed while the job ran");
        return (await ledger.GetAsync(jobId, default))!;
    }

    /// <summary>How a test kills the runner; <paramref name="Kills"/> is the number of kills landed while the job ran that ends the killing.</summary>
    protected sealed record KillPlan(int Kills, int MaxAttempts, int MinKillsWhileRunning)
    {
        /// <summary>Whether the runner may be killed now, once it has claimed the job (polled), by attempt.</summary>
        public Func<int, bool> Ready { get; init; } = _ => true;

        /// <summary>How long after that to kill, by attempt.</summary>
        public Func<int, TimeSpan> Delay { get; init; } = _ => TimeSpan.Zero;

        /// <summary>A check after each kill.</summary>
        public Action AfterKill { get; init; } = () => { };
    }
}

using FileVault.Core.Jobs;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FileVault.Tests.Jobs;

/// <summary>The jobs table as a durable, multi-instance queue, against the real PostgreSQL.</summary>
public sealed class JobLedgerTests : IAsyncLifetime
{
    private readonly Guid _owner = Guid.NewGuid();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestDatabase _database = default!;
    private ServiceProvider _services = default!;
    private JobLedger _ledger = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _services = CoreServices.Build(_database, time: _time);
        _ledger = _services.GetRequiredService<JobLedger>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task The_same_idempotency_key_from_the_same_owner_makes_one_job_even_when_sent_at_once()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}", "click-42"), CancellationToken.None)));

        Assert.Single(ids.Select(r => r.Value).Distinct());
        var other = await _ledger.EnqueueAsync(Guid.NewGuid(), new NewJob("move", "move", "{}", "click-42"), CancellationToken.None);
        Assert.NotEqual(ids[0].Value, other.Value);
    }

    [Fact]
    public async Task Concurrent_claims_take_every_job_exactly_once_in_order()
    {
        for (var i = 0; i < 20; i++)
        {
            await _ledger.EnqueueAsync(_owner, new NewJob("copy", "copy", $$"""{"n":{{i}}}"""), CancellationToken.None);
        }

        await _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}"), CancellationToken.None);
        var claims = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => _ledger.ClaimNextAsync("copy", "instance-" + (i % 3), CancellationToken.None)));

        var claimed = claims.OfType<Job>().ToList();
        Assert.Equal(20, claimed.Count);
        Assert.Equal(20, claimed.Select(j => j.Id).Distinct().Count());
        Assert.All(claimed, j => Assert.Equal((JobStatus.Running, 1, "copy"), (j.Status, j.Attempts, j.Queue)));
        Assert.Null(await _ledger.ClaimNextAsync("copy", "instance-0", CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_a_queued_job_stops_it_and_a_running_one_is_asked_to_stop()
    {
        var queued = (await _ledger.EnqueueAsync(_owner, new NewJob("rename", "rename", "{}"), CancellationToken.None)).Value;
        var running = (await _ledger.EnqueueAsync(_owner, new NewJob("copy", "copy", "{}"), CancellationToken.None)).Value;
        Assert.Equal(running, (await _ledger.ClaimNextAsync("copy", "a", CancellationToken.None))!.Id);

        Assert.Equal(JobStatus.Cancelled, (await _ledger.CancelAsync(_owner, false, queued, CancellationToken.None)).Value);
        Assert.Equal(JobStatus.Running, (await _ledger.CancelAsync(_owner, false, running, CancellationToken.None)).Value);

        Assert.Null(await _ledger.ClaimNextAsync("rename", "a", CancellationToken.None));
        Assert.False(await _ledger.ReportProgressAsync(running, 0.5, "half", CancellationToken.None));
    }

    [Fact]
    public async Task A_cancel_racing_a_claim_never_calls_a_running_job_cancelled()
    {
        for (var i = 0; i < 40; i++)
        {
            var id = (await _ledger.EnqueueAsync(_owner, new NewJob("copy", "copy", $$"""{"n":{{i}}}"""), CancellationToken.None)).Value;
            var claiming = _ledger.ClaimNextAsync("copy", "runner", CancellationToken.None);
            var cancelling = _ledger.CancelAsync(_owner, false, id, CancellationToken.None);
            var (claimed, cancelled) = (await claiming, await cancelling);

            await using var db = _database.CreateDbContext();
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
            if (claimed is null)
            {
                // The cancel came first: the job never starts.
                Assert.Equal((JobStatus.Cancelled, JobStatus.Cancelled), (cancelled.Value, job.Status));
            }
            else
            {
                // The claim came first: the job runs and is asked to stop; it is not recorded as cancelled under the runner.
                Assert.Equal((JobStatus.Running, JobStatus.Running, true), (cancelled.Value, job.Status, job.CancelRequested));
                Assert.True(await _ledger.FinishAsync(id, JobStatus.Cancelled, null, CancellationToken.None, claim: new JobClaim("runner", 1)));
            }
        }
    }

    [Fact]
    public async Task A_stopping_run_requeues_only_a_job_it_still_holds()
    {
        var id = (await _ledger.EnqueueAsync(_owner, new NewJob("copy", "copy", "{}"), CancellationToken.None)).Value;
        var first = (await _ledger.ClaimNextAsync("copy", "old", CancellationToken.None))!;
        // The old run missed its heartbeats; the job was recovered and another instance runs it now.
        _time.Advance(JobLedger.HeartbeatTimeout + TimeSpan.FromSeconds(1));
        await _ledger.RecoverAsync(["copy"], JobLedger.HeartbeatTimeout, [], CancellationToken.None);
        var second = (await _ledger.ClaimNextAsync("copy", "new", CancellationToken.None))!;

        await _ledger.RequeueAsync(id, new JobClaim("old", first.Attempts), CancellationToken.None);

        await using (var db = _database.CreateDbContext())
        {
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
            Assert.Equal((JobStatus.Running, "new"), (job.Status, job.ClaimedBy));
        }

        await _ledger.RequeueAsync(id, new JobClaim("new", second.Attempts), CancellationToken.None);
        await using (var db = _database.CreateDbContext())
        {
            Assert.Equal(JobStatus.Queued, await db.Jobs.Where(j => j.Id == id).Select(j => j.Status).SingleAsync());
        }
    }

    [Fact]
    public async Task Another_users_job_is_not_found_but_an_admin_may_cancel_it()
    {
        var id = (await _ledger.EnqueueAsync(_owner, new NewJob("delete", "delete", "{}"), CancellationToken.None)).Value;

        Assert.Equal("job.not_found", (await _ledger.CancelAsync(Guid.NewGuid(), false, id, CancellationToken.None)).Error?.Code);
        Assert.True((await _ledger.CancelAsync(Guid.NewGuid(), true, id, CancellationToken.None)).IsSuccess);
        Assert.Empty(await _ledger.ListAsync(Guid.NewGuid(), false, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Start_up_marks_running_jobs_without_a_recent_heartbeat_interrupted()
    {
        var dead = (await _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}"), CancellationToken.None)).Value;
        await _ledger.ClaimNextAsync("move", "crashed-instance", CancellationToken.None);
        _time.Advance(JobLedger.HeartbeatTimeout + TimeSpan.FromSeconds(1));
        var alive = (await _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}"), CancellationToken.None)).Value;
        await _ledger.ClaimNextAsync("move", "live-instance", CancellationToken.None);

        Assert.Equal(1, await _ledger.MarkAbandonedAsync(CancellationToken.None));

        await using var db = _database.CreateDbContext();
        Assert.Equal(JobStatus.Interrupted, await db.Jobs.Where(j => j.Id == dead).Select(j => j.Status).SingleAsync());
        Assert.Equal(JobStatus.Running, await db.Jobs.Where(j => j.Id == alive).Select(j => j.Status).SingleAsync());
    }

    [Fact]
    public async Task A_run_whose_job_was_recovered_and_claimed_again_learns_it_lost_the_claim_and_cannot_finish_it()
    {
        var id = (await _ledger.EnqueueAsync(_owner, new NewJob("copy", "copy", "{}"), CancellationToken.None)).Value;
        var first = (await _ledger.ClaimNextAsync("copy", "slow-instance", CancellationToken.None))!;
        var firstClaim = new JobClaim("slow-instance", first.Attempts);
        Assert.Equal(Heartbeat.Continue, await _ledger.HeartbeatAsync(id, firstClaim, CancellationToken.None));

        // Its heartbeats stop landing (a long pause); another instance recovers the job and claims it.
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal((1, 0), await _ledger.RecoverAsync(["copy"], TimeSpan.FromMinutes(2), [], CancellationToken.None));
        var second = (await _ledger.ClaimNextAsync("copy", "other-instance", CancellationToken.None))!;

        Assert.Equal(Heartbeat.ClaimLost, await _ledger.HeartbeatAsync(id, firstClaim, CancellationToken.None));
        Assert.False(await _ledger.FinishAsync(id, JobStatus.Failed, "late", CancellationToken.None, claim: firstClaim));
        Assert.Equal(Heartbeat.Continue, await _ledger.HeartbeatAsync(id, new JobClaim("other-instance", second.Attempts), CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await _ledger.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task An_inline_job_whose_request_died_fails_after_the_timeout_and_one_in_flight_is_left_alone()
    {
        var queued = (await _ledger.EnqueueAsync(_owner, new NewJob("mkdir", JobLedger.InlineQueue, "{}"), CancellationToken.None)).Value;
        var started = (await _ledger.EnqueueAsync(_owner, new NewJob("rename", JobLedger.InlineQueue, "{}"), CancellationToken.None)).Value;
        await _ledger.StartAsync(started, "gone", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));
        var inFlight = (await _ledger.EnqueueAsync(_owner, new NewJob("rename", JobLedger.InlineQueue, "{}"), CancellationToken.None)).Value;
        await _ledger.StartAsync(inFlight, "alive", CancellationToken.None);

        // Never resumed, even when the type has a handler that resumes: the request that ran it is gone.
        Assert.Equal((0, 2), await _ledger.RecoverAsync(["mkdir", "rename"], TimeSpan.FromMinutes(2), [], CancellationToken.None));

        Assert.Equal(JobStatus.Failed, (await _ledger.GetAsync(queued, CancellationToken.None))!.Status);
        Assert.Equal(JobStatus.Failed, (await _ledger.GetAsync(started, CancellationToken.None))!.Status);
        Assert.Equal(JobStatus.Running, (await _ledger.GetAsync(inFlight, CancellationToken.None))!.Status);
        Assert.Null(await _ledger.ClaimNextAsync(JobLedger.InlineQueue, "runner", CancellationToken.None));
    }

    [Fact]
    public async Task Recovery_leaves_alone_the_jobs_this_process_is_running_even_when_their_heartbeat_lags()
    {
        var mine = (await _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}"), CancellationToken.None)).Value;
        await _ledger.ClaimNextAsync("move", "me", CancellationToken.None);
        var dead = (await _ledger.EnqueueAsync(_owner, new NewJob("move", "move", "{}"), CancellationToken.None)).Value;
        await _ledger.ClaimNextAsync("move", "gone", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Equal((1, 0), await _ledger.RecoverAsync(["move"], TimeSpan.FromMinutes(2), [mine], CancellationToken.None));

        Assert.Equal(JobStatus.Running, (await _ledger.GetAsync(mine, CancellationToken.None))!.Status);
        Assert.Equal(JobStatus.Queued, (await _ledger.GetAsync(dead, CancellationToken.None))!.Status);
    }
}

using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Jobs;

/// <summary>Jobs as their owners see them (R-AUTH-1), against the real PostgreSQL and Redis.</summary>
public sealed class JobQueriesTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly AccessSubject _me = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
    private readonly AccessSubject _other = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
    private readonly AccessSubject _admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private TestDatabase _database = default!;
    private ServiceProvider _services = default!;
    private JobLedger _ledger = default!;
    private JobQueries _queries = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _services = CoreServices.Build(_database);
        _ledger = _services.GetRequiredService<JobLedger>();
        _queries = _services.GetRequiredService<JobQueries>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_user_lists_only_their_own_jobs_newest_first_and_an_admin_sees_everyones_on_request()
    {
        var first = await EnqueueAsync(_me);
        var theirs = await EnqueueAsync(_other);
        var second = await EnqueueAsync(_me);

        Assert.Equal([second, first], (await _queries.ListAsync(_me, everyone: true, 50, default)).Select(j => j.Id));
        Assert.Empty(await _queries.ListAsync(_admin, everyone: false, 50, default));
        Assert.Equal([second, theirs, first], (await _queries.ListAsync(_admin, everyone: true, 50, default)).Select(j => j.Id));
        Assert.Equal([second], (await _queries.ListAsync(_me, everyone: false, 1, default)).Select(j => j.Id));
    }

    [Fact]
    public async Task Another_users_job_is_not_found_to_read_cancel_or_retry_but_an_admin_may()
    {
        var theirs = await EnqueueAsync(_other);

        Assert.Equal("job.not_found", (await _queries.GetAsync(_me, theirs, default)).Error?.Code);
        Assert.Equal("job.not_found", (await _queries.CancelAsync(_me, theirs, default)).Error?.Code);
        Assert.Equal("job.not_found", (await _queries.RetryAsync(_me, theirs, default)).Error?.Code);
        Assert.Equal(JobStatus.Queued, (await _ledger.GetAsync(theirs, default))!.Status);

        Assert.Equal(JobStatus.Cancelled, (await _queries.CancelAsync(_admin, theirs, default)).Value.Status);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_tells_open_pages_and_frees_its_paths_at_once()
    {
        var locks = _services.GetRequiredService<ResourceLocks>();
        var lease = (await locks.AcquireAsync(new LockRequest(1, ["영업부/보고서.txt"], "move", "me"), TimeSpan.FromMinutes(5), default)).Value;
        var id = (await _ledger.EnqueueAsync(_me.UserId, new NewJob("move", JobQueues.Move, "{}", null,
            JsonSerializer.Serialize(lease.ToHeld(), Json)), default)).Value;
        lease.Detach();
        var seen = new List<JobEvent>();
        var events = _services.GetRequiredService<JobEvents>();
        events.Changed += seen.Add;

        var cancelled = await _queries.CancelAsync(_me, id, default);

        events.Changed -= seen.Add;
        Assert.Equal(JobStatus.Cancelled, cancelled.Value.Status);
        Assert.Contains(seen, e => e.Id == id && e.Status == JobStatus.Cancelled && e.OwnerId == _me.UserId);
        var again = await locks.AcquireAsync(new LockRequest(1, ["영업부/보고서.txt"], "move", "someone"), TimeSpan.FromSeconds(5), default);
        Assert.True(again.IsSuccess, again.Error?.ToString());
        await again.Value.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_job_is_retried_and_an_inline_operation_is_not()
    {
        var failed = await EnqueueAsync(_me);
        await _ledger.FinishAsync(failed, JobStatus.Failed, "lock lost", default);
        var inline = (await _ledger.EnqueueAsync(_me.UserId, new NewJob("rename", "operations", "{}"), default)).Value;
        await _ledger.FinishAsync(inline, JobStatus.Failed, "EIO", default);

        Assert.True((await _queries.GetAsync(_me, failed, default)).Value.CanRetry);
        var retried = await _queries.RetryAsync(_me, failed, default);
        Assert.Equal((JobStatus.Queued, null), (retried.Value.Status, retried.Value.Error));
        Assert.False((await _queries.GetAsync(_me, inline, default)).Value.CanRetry);
        Assert.Equal("job.not_retryable", (await _queries.RetryAsync(_me, inline, default)).Error?.Code);
    }

    [Theory]
    [InlineData("""{"rootId":1,"destination":"보관","items":[{"entryId":1,"name":"보고서.txt"},{"entryId":2,"name":"b"}]}""", "보고서.txt", 2, "보관")]
    [InlineData("""{"rootId":1,"items":[{"trashId":4,"target":"영업부/2024/회의록.txt"}],"skipped":[]}""", "회의록.txt", 1, null)]
    [InlineData("""{"rootId":1,"trashIds":[1,2,3]}""", null, 3, null)]
    [InlineData("""{"root":1,"entryId":5,"from":"a/old.txt","to":"a/new.txt"}""", "old.txt", 1, "new.txt")]
    [InlineData("""{"root":1,"parentId":2,"name":"새 폴더"}""", "새 폴더", 1, null)]
    [InlineData("""{"root":1,"folderId":2,"renames":[{"id":1,"from":"a.jpg","to":"b.jpg"}]}""", "a.jpg", 1, null)]
    [InlineData("not json", null, 0, null)]
    public void What_a_job_works_on_is_read_from_its_payload(string payload, string? name, int count, string? destination)
    {
        Assert.Equal(new JobSubject(name, count, destination), JobQueries.Describe(payload));
    }

    private async Task<long> EnqueueAsync(AccessSubject owner) =>
        (await _ledger.EnqueueAsync(owner.UserId, new NewJob("copy", JobQueues.Copy, "{}"), default)).Value;
}

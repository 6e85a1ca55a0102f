using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Tests.Access;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Audit;

/// <summary>The audit page's query: filters in SQL, newest first, keyset pages, administrators only.</summary>
public sealed class AuditQueriesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
    private AccessWorld _world = default!;
    private AccessSubject _admin = default!;
    private AccessSubject _kim = default!;
    private AccessSubject _lee = default!;

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _admin = await _world.AddUserAsync("boss@corp.test", Roles.Admin);
        _kim = await _world.AddUserAsync("kim@corp.test", Roles.User);
        _lee = await _world.AddUserAsync("lee@corp.test", Roles.User);
        await using var db = _world.Database.CreateDbContext();
        AuditTrail.Add(db, Clock(1), _kim.UserId, "entry.move", "공유/영업부/견적서.xlsx", new { to = "보관/견적서.xlsx", job = 7 });
        AuditTrail.Add(db, Clock(2), _kim.UserId, "entry.trash", "공유/영업부/회의록.txt", new { job = 8, trash = 3 });
        AuditTrail.Add(db, Clock(3), _lee.UserId, "entry.restore", "공유/영업부/회의록.txt", new { job = 9, error = "trash.gone" }, AuditResult.Failed);
        AuditTrail.Add(db, Clock(4), _lee.UserId, "auth.sign_in", $"user:{_lee.UserId}", new { Channel = "web" });
        AuditTrail.Add(db, Clock(5), null, "entry.purge", "공유/오래된.txt", new { job = 10 });
        // Twelve renames in the same instant: pages must still neither repeat nor drop a row.
        for (var i = 0; i < 12; i++)
        {
            AuditTrail.Add(db, Clock(6), _kim.UserId, "entry.rename", $"공유/사진/IMG_{i:00}.jpg", new { to = $"사진/현장_{i:00}.jpg" });
        }

        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Keyset_pages_walk_every_row_once_newest_first_with_ties_in_the_same_instant()
    {
        var seen = new List<AuditEntry>();
        AuditCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = (await QueryAsync(_admin, new AuditFilter(), cursor, 5)).Value;
            seen.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(4, pages);
        Assert.Equal(17, seen.Count);
        Assert.Equal(17, seen.Select(e => e.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Select(e => e.Id), seen.Select(e => e.Id));
        Assert.Equal("entry.move", seen[^1].Action);
    }

    [Fact]
    public async Task A_row_shows_who_from_where_to_where_and_its_job()
    {
        var move = Assert.Single((await QueryAsync(_admin, new AuditFilter(Action: "entry.move"))).Value.Items);

        Assert.Equal(("kim@corp.test", "공유/영업부/견적서.xlsx", "보관/견적서.xlsx", 7L, AuditResult.Succeeded),
            (move.ActorEmail, move.Target, move.To, move.JobId, move.Result));
        var purge = Assert.Single((await QueryAsync(_admin, new AuditFilter(Action: "entry.purge"))).Value.Items);
        Assert.Equal((null, null, 10L), (purge.ActorEmail, purge.To, purge.JobId));
    }

    [Fact]
    public async Task The_user_filter_matches_part_of_an_email_in_any_case()
    {
        var rows = (await QueryAsync(_admin, new AuditFilter(UserEmail: " LEE@corp "))).Value.Items;

        Assert.Equal(["auth.sign_in", "entry.restore"], rows.Select(r => r.Action));
        Assert.Empty((await QueryAsync(_admin, new AuditFilter(UserEmail: "nobody@"))).Value.Items);
    }

    [Fact]
    public async Task The_path_filter_matches_where_it_was_or_where_it_went_and_escapes_wildcards()
    {
        var rows = (await QueryAsync(_admin, new AuditFilter(PathContains: "보관/"))).Value.Items;
        Assert.Equal(["entry.move"], rows.Select(r => r.Action));

        Assert.Equal(3, (await QueryAsync(_admin, new AuditFilter(PathContains: "영업부"))).Value.Items.Count);
        Assert.Empty((await QueryAsync(_admin, new AuditFilter(PathContains: "IMG%"))).Value.Items);
        Assert.Equal(12, (await QueryAsync(_admin, new AuditFilter(PathContains: "img_"))).Value.Items.Count);
    }

    [Fact]
    public async Task The_result_and_date_filters_combine()
    {
        var failed = Assert.Single((await QueryAsync(_admin, new AuditFilter(Result: AuditResult.Failed))).Value.Items);
        Assert.Equal(("entry.restore", 9L), (failed.Action, failed.JobId));

        var window = (await QueryAsync(_admin, new AuditFilter(From: At(2), Until: At(4)))).Value.Items;
        Assert.Equal(["entry.restore", "entry.trash"], window.Select(r => r.Action));
        var succeededInWindow = (await QueryAsync(_admin, new AuditFilter(Result: AuditResult.Succeeded, From: At(2), Until: At(4)))).Value.Items;
        Assert.Equal(["entry.trash"], succeededInWindow.Select(r => r.Action));
        Assert.Equal("audit.range_invalid", (await QueryAsync(_admin, new AuditFilter(From: At(4), Until: At(2)))).Error?.Code);
    }

    [Fact]
    public async Task A_user_who_is_not_an_admin_is_refused_and_reads_nothing()
    {
        var refused = await QueryAsync(_kim, new AuditFilter(UserEmail: "kim"));

        Assert.Equal("auth.forbidden", refused.Error?.Code);
        await using var scope = _world.NewScope();
        var queries = scope.ServiceProvider.GetRequiredService<AuditQueries>();
        Assert.Equal("auth.forbidden", (await queries.ActionsAsync(_kim, default)).Error?.Code);
        Assert.Contains("entry.restore", (await queries.ActionsAsync(_admin, default)).Value);
        Assert.Equal("audit.page_size", (await QueryAsync(_admin, new AuditFilter(), null, AuditQueries.MaxPageSize + 1)).Error?.Code);
    }

    private static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private static FixedTime Clock(int minutes) => new(At(minutes));

    private async Task<Core.Result<AuditListing>> QueryAsync(AccessSubject actor, AuditFilter filter, AuditCursor? after = null, int pageSize = 50)
    {
        await using var scope = _world.NewScope();
        return await scope.ServiceProvider.GetRequiredService<AuditQueries>().PageAsync(actor, filter, after, pageSize, default);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

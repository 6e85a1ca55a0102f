using FileVault.Core.Access;
using FileVault.Core.Duplicates;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Cleanup;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// An admin sees a storage root that lost its mount named in a banner on admin pages, and its error on the services page;
/// the queues there follow a running job live, show a failed one's error with a retry, and each root's last scan.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ServicesPageTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task A_root_whose_marker_is_gone_shows_in_the_admin_banner_and_on_the_services_page()
    {
        string rootName;
        await using (var db = app.Database.CreateDbContext())
        {
            rootName = (await db.StorageRoots.SingleAsync()).Name;
        }

        var marker = Path.Combine(app.StorageDirectory, StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        File.Delete(marker);
        try
        {
            // One cleanup run to show: the audit sweep, as its daily schedule would run it.
            await app.Services.GetRequiredService<CleanupRuns>().RunAsync(app.Services.GetRequiredService<AuditRetentionSweep>(), default);
            var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
            await BrowserFixture.SignInAsAdminAsync(page);
            await page.GotoAsync("/admin/services");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.ClickAsync("#services-check");

            await Assertions.Expect(page.Locator("#service-health-banner")).ToContainTextAsync(rootName);
            var row = page.Locator("[data-service^='root:']");
            await Assertions.Expect(row).ToContainTextAsync(StorageRootRegistry.MarkerFileName);
            await Assertions.Expect(page.Locator("[data-service='postgres']")).ToContainTextAsync(" ms");
            await Assertions.Expect(page.Locator("[data-schedule='incremental']")).ToContainTextAsync("0 * * * *");
            await Assertions.Expect(page.Locator("#services-search-backlog [data-index='postgres']")).ToContainTextAsync("이름 색인");
            await Assertions.Expect(page.Locator("#services-cleanup [data-sweep='audit']")).ToContainTextAsync("감사 기록");
            // Every sweep is listed with its schedule, also one that has not run yet.
            await Assertions.Expect(page.Locator("#services-cleanup [data-sweep]")).ToHaveCountAsync(7);
            await Assertions.Expect(page.Locator("#services-cleanup [data-sweep='history']")).ToContainTextAsync("30 3 * * *");
            await BrowserFixture.ScreenshotAsync(page, "services-ko");
        }
        finally
        {
            await File.WriteAllTextAsync(marker, content);
        }
    }
    [Fact]
    public async Task A_running_jobs_progress_moves_live_a_failed_one_shows_its_error_and_is_retried_and_each_roots_last_scan_is_listed()
    {
        var ledger = app.Services.GetRequiredService<JobLedger>();
        var events = app.Services.GetRequiredService<JobEvents>();
        var user = await app.CreateUserAsync("services.jobs@filevault.test", Roles.User);
        // Running: an inline new folder (the runner never claims that queue), driven as its handler drives it.
        var payload = System.Text.Json.JsonSerializer.Serialize(new { root = 1, parentId = 1, name = "진행 중 폴더" });
        var running = await ledger.StartAsync((await ledger.EnqueueAsync(user.Id, new NewJob("mkdir", JobLedger.InlineQueue, payload), default)).Value, "e2e", default);
        Assert.NotNull(running);
        // Failed: a duplicate search of the admin's, written as failed so the runner never sees it before the retry.
        long failedId;
        int rootId;
        await using (var db = app.Database.CreateDbContext())
        {
            rootId = (await db.StorageRoots.SingleAsync()).Id;
            var admin = await db.Users.SingleAsync(u => u.Email == FileVaultAppFactory.AdminEmail);
            var failed = new Job
            {
                Type = DuplicateScans.JobType, Queue = JobQueues.Dedup, Payload = "{}", OwnerId = admin.Id, Status = JobStatus.Failed,
                Error = "디스크를 읽을 수 없습니다", Attempts = 1, CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-5), StartedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
                FinishedAt = DateTimeOffset.UtcNow.AddMinutes(-4),
            };
            db.Jobs.Add(failed);
            await db.SaveChangesAsync();
            failedId = failed.Id;
        }

        await app.ScanStorageAsync();
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/admin/services");
        await BrowserFixture.WaitForInteractiveAsync(page);

        var runningRow = page.Locator($"#services-jobs [data-job='{running.Id}']");
        await Assertions.Expect(runningRow).ToContainTextAsync("실행 중");
        await ledger.ReportProgressAsync(running.Id, 0.42, "12 / 30", default);
        await events.PublishAsync(new JobEvent(running.Id, running.OwnerId, running.Type, JobStatus.Running, 0.42, "12 / 30", null));
        await Assertions.Expect(runningRow.Locator("[data-progress]")).ToHaveAttributeAsync("data-progress", "42");
        await Assertions.Expect(runningRow.Locator(".fv-job-text")).ToHaveTextAsync("42% 12 / 30");
        // The failed search counts in its kind's failures of the last 24 hours (the sixth column).
        await Assertions.Expect(page.Locator("#services-queues [data-job-type='dedup'] td").Nth(5)).ToHaveTextAsync("1");

        var failedRow = page.Locator($"#services-jobs [data-job='{failedId}']");
        await Assertions.Expect(failedRow).ToContainTextAsync("디스크를 읽을 수 없습니다");
        await Assertions.Expect(page.Locator($"[data-root='{rootId}']")).ToContainTextAsync("완료");
        await BrowserFixture.ScreenshotAsync(page, "services-jobs-ko");
        await page.ClickAsync($"#retry-{failedId}");

        await Poll.UntilAsync(async () => (await ledger.GetAsync(failedId, default))!.Status != JobStatus.Failed, "the retried search to leave the failed state");
        await Assertions.Expect(page.Locator($"#retry-{failedId}")).ToHaveCountAsync(0);
        await ledger.FinishAsync(running.Id, JobStatus.Succeeded, null, default);
    }
}

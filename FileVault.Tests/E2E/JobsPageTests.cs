using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// A job's progress and end reach the person who asked for it while they look at the app: the Jobs page follows it
/// live, and a toast says when it finished, only for their own jobs. The job is driven through the ledger and the job
/// events, as a handler drives it; a job of type mkdir in the inline queue is never claimed by the runner.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class JobsPageTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    private JobLedger Ledger => app.Services.GetRequiredService<JobLedger>();

    private JobEvents Events => app.Services.GetRequiredService<JobEvents>();

    [Fact]
    public async Task A_running_jobs_progress_reaches_the_open_jobs_page_live_and_its_end_shows_a_toast()
    {
        var user = await app.CreateUserAsync("jobs.live@filevault.test", Roles.User);
        var stranger = await app.CreateUserAsync("jobs.stranger@filevault.test", Roles.User);
        var job = await StartJobAsync(user.Id, "분기 보고서");
        var theirs = await StartJobAsync(stranger.Id, "남의 폴더");
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, user.Email!, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });

        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = page.Locator("#jobs-table tbody tr").Filter(new() { Has = page.Locator($"[data-job-id='{job.Id}']") });
        await Assertions.Expect(row).ToContainTextAsync("새 폴더");
        await Assertions.Expect(row).ToContainTextAsync("분기 보고서");
        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("실행 중");
        await Assertions.Expect(page.Locator("#jobs-table")).Not.ToContainTextAsync("남의 폴더");

        await ReportAsync(job, 0.42, "12 / 30 files");

        await Assertions.Expect(row.Locator(".fv-job-text")).ToHaveTextAsync("42% 12 / 30 files");
        await Assertions.Expect(row.Locator(".fv-job-progress")).ToHaveAttributeAsync("data-progress", "42");
        await BrowserFixture.ScreenshotAsync(page, "jobs-running-ko");

        // Someone else's job ends first: no toast for it; then mine ends.
        await FinishAsync(theirs, JobStatus.Succeeded);
        await FinishAsync(job, JobStatus.Succeeded);

        var toasts = page.Locator(".mud-snackbar");
        await Assertions.Expect(toasts.Filter(new() { HasText = "새 폴더 작업이 끝났습니다: 분기 보고서" })).ToBeVisibleAsync();
        await Assertions.Expect(toasts).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("완료");
        await Assertions.Expect(row.Locator(".fv-job-text")).ToContainTextAsync("100%");
        await BrowserFixture.ScreenshotAsync(page, "jobs-done-toast-ko");
    }

    [Fact]
    public async Task My_failed_job_shows_an_error_toast_with_the_reason_on_any_page_and_it_leads_to_the_jobs_page()
    {
        var user = await app.CreateUserAsync("jobs.failed@filevault.test", Roles.User);
        var job = await StartJobAsync(user.Id, "Quarterly");
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsync(page, user.Email!, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await BrowserFixture.WaitForInteractiveAsync(page);

        await FinishAsync(job, JobStatus.Failed, "The share was disconnected");

        var toast = page.Locator(".mud-snackbar").Filter(new() { HasText = "New folder failed: The share was disconnected" });
        await Assertions.Expect(toast).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "jobs-failed-toast-en");
        await toast.GetByRole(AriaRole.Link, new() { Name = "Jobs" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/jobs$"), new() { Timeout = 30_000 });
        var row = page.Locator("#jobs-table tbody tr").Filter(new() { Has = page.Locator($"[data-job-id='{job.Id}']") });
        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("Failed");
        await Assertions.Expect(row.Locator(".fv-job-error")).ToHaveTextAsync("The share was disconnected");
    }

    [Fact]
    public async Task A_queued_job_is_cancelled_after_confirmation_and_its_owner_is_told()
    {
        var user = await app.CreateUserAsync("jobs.cancel@filevault.test", Roles.User);
        var payload = System.Text.Json.JsonSerializer.Serialize(new { root = 1, parentId = 1, name = "취소할 폴더" });
        var id = (await Ledger.EnqueueAsync(user.Id, new NewJob("mkdir", "operations", payload), CancellationToken.None)).Value;
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, user.Email!, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = page.Locator("#jobs-table tbody tr").Filter(new() { Has = page.Locator($"[data-job-id='{id}']") });
        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("대기 중");

        await row.Locator("[data-action='cancel']").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "작업 취소" }).ClickAsync();

        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("취소됨");
        await Assertions.Expect(row.Locator("[data-action='cancel']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "새 폴더 작업이 취소되었습니다: 취소할 폴더" })).ToBeVisibleAsync();
        Assert.Equal(JobStatus.Cancelled, (await Ledger.GetAsync(id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task An_empty_list_says_so()
    {
        var user = await app.CreateUserAsync("jobs.none@filevault.test", Roles.User);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsync(page, user.Email!, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });

        await page.GotoAsync("/jobs");

        await Assertions.Expect(page.Locator("#jobs-empty")).ToContainTextAsync("No jobs yet");
    }

    private async Task<Job> StartJobAsync(Guid owner, string name)
    {
        var payload = System.Text.Json.JsonSerializer.Serialize(new { root = 1, parentId = 1, name });
        var id = (await Ledger.EnqueueAsync(owner, new NewJob("mkdir", "operations", payload), CancellationToken.None)).Value;
        var job = await Ledger.StartAsync(id, "e2e", CancellationToken.None);
        Assert.NotNull(job);
        return job;
    }

    private async Task ReportAsync(Job job, double progress, string text)
    {
        await Ledger.ReportProgressAsync(job.Id, progress, text, CancellationToken.None);
        await Events.PublishAsync(new JobEvent(job.Id, job.OwnerId, job.Type, JobStatus.Running, progress, text, null));
    }

    private async Task FinishAsync(Job job, JobStatus status, string? error = null)
    {
        await Ledger.FinishAsync(job.Id, status, error, CancellationToken.None);
        await Events.PublishAsync(new JobEvent(job.Id, job.OwnerId, job.Type, status, status == JobStatus.Succeeded ? 1 : job.Progress, null, error));
    }
}

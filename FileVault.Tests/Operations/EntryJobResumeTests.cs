using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// New folder and rename jobs resumed after their process died between the disk change and the catalog change: the
/// disk is changed as the dead run left it, the job is marked as tried once, and the job runner process
/// (`FileVault.Web jobs --until-idle`) resumes it. The change is found made and catalogued once, not refused or repeated.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
public sealed class EntryJobResumeTests(ITestOutputHelper output) : KillScenario(output)
{
    protected override int FileCount => 2;

    protected override string AdminEmail => "resume-entry@t";

    protected override void WriteTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "원본"));
        File.WriteAllText(Path.Combine(root, "원본", "회의록.txt"), "minutes");
        File.WriteAllText(Path.Combine(root, "원본", "견적서.xlsx"), "quote");
    }

    [Fact]
    public async Task A_new_folder_job_resumed_after_its_mkdir_catalogues_the_folder_once()
    {
        var parent = await Harness.IdOfAsync("원본");
        var job = await RequestAsync(ops => ops.RequestCreateFolderAsync(Admin, parent, "새 폴더", null, default));
        Directory.CreateDirectory(Harness.PathOf("원본/새 폴더"));

        var finished = await ResumeAsync(job);

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        var catalog = await Harness.CatalogAsync();
        Assert.Equal(finished.ResultEntryId, catalog["원본/새 폴더"].Id);
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }

    [Fact]
    public async Task A_rename_job_resumed_after_its_disk_rename_moves_the_catalog_row_and_keeps_its_id()
    {
        var id = await Harness.IdOfAsync("원본/회의록.txt");
        var job = await RequestAsync(ops => ops.RequestRenameAsync(Admin, id, "회의록-최종.txt", null, default));
        File.Move(Harness.PathOf("원본/회의록.txt"), Harness.PathOf("원본/회의록-최종.txt"));

        var finished = await ResumeAsync(job);

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        var catalog = await Harness.CatalogAsync();
        Assert.Equal(id, catalog["원본/회의록-최종.txt"].Id);
        Assert.DoesNotContain("원본/회의록.txt", catalog.Keys);
        Assert.Equal("minutes", File.ReadAllText(Harness.PathOf("원본/회의록-최종.txt")));
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }

    /// <summary>Marks the queued job as tried once (a run that died) and lets the runner process take it up to its end.</summary>
    private async Task<Job> ResumeAsync(long jobId)
    {
        await using (var db = Harness.Database.CreateDbContext())
        {
            Assert.Equal(1, await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Queued).ExecuteUpdateAsync(s => s.SetProperty(j => j.Attempts, 1)));
        }

        using var runner = JobRunnerProcess.Start(Harness);
        await runner.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(runner.ExitCode == 0, $"exit code {runner.ExitCode}; its log: {JobRunnerProcess.LogOf(runner)}");
        var job = (await Harness.Get<JobLedger>().GetAsync(jobId, default))!;
        Assert.Equal(2, job.Attempts);
        return job;
    }

    private async Task<long> RequestAsync(Func<EntryOperations, Task<FileVault.Core.Result<long>>> request)
    {
        await using var scope = Harness.CreateScope();
        var result = await request(scope.ServiceProvider.GetRequiredService<EntryOperations>());
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }
}

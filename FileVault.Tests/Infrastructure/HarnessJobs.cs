using FileVault.Core;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Infrastructure;

/// <summary>Requesting a file operation in a scope of its own and waiting for its job, as the operation tests do.</summary>
internal static class HarnessJobs
{
    /// <summary>Requests an operation that must be accepted, and waits for its job to end.</summary>
    public static Task<Job> RunJobAsync(this ScanHarness harness, Func<FileOperations, Task<Result<long>>> request) => harness.RunJobOfAsync(request);

    public static Task<Job> RunJobAsync(this ScanHarness harness, Func<FileOperations, Task<long>> request) => harness.RunJobOfAsync(request);

    /// <summary>The same for the trash's restore and purge.</summary>
    public static Task<Job> RunJobAsync(this ScanHarness harness, Func<TrashOperations, Task<Result<long>>> request) => harness.RunJobOfAsync(request);

    public static Task<Job> RunJobAsync(this ScanHarness harness, Func<TrashOperations, Task<long>> request) => harness.RunJobOfAsync(request);

    private static Task<Job> RunJobOfAsync<TService>(this ScanHarness harness, Func<TService, Task<long>> request)
        where TService : notnull =>
        harness.RunJobOfAsync<TService>(async service => Result<long>.Success(await request(service)));

    private static async Task<Job> RunJobOfAsync<TService>(this ScanHarness harness, Func<TService, Task<Result<long>>> request)
        where TService : notnull
    {
        await using var scope = harness.CreateScope();
        var result = await request(scope.ServiceProvider.GetRequiredService<TService>());
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return await harness.WaitForJobAsync(result.Value);
    }

    /// <summary>Polls the ledger (every 100 ms, at most 30 s) until the job has succeeded, failed or been cancelled.</summary>
    public static async Task<Job> WaitForJobAsync(this ScanHarness harness, long id)
    {
        var ledger = harness.Get<JobLedger>();
        for (var i = 0; i < 300; i++)
        {
            if (await ledger.GetAsync(id, default) is { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled } job)
            {
                return job;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Job {id} did not finish: {(await ledger.GetAsync(id, default))?.Status}");
    }
}

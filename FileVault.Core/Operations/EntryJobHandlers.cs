using FileVault.Core.Jobs;

namespace FileVault.Core.Operations;

/// <summary>Runs a queued new folder job (<see cref="EntryOperations.RequestCreateFolderAsync"/>).</summary>
internal sealed class CreateFolderJobHandler(EntryOperations operations) : IJobHandler
{
    public string Type => EntryOperations.CreateFolderJobType;

    public Task<JobOutcome> RunAsync(JobRun run) => operations.RunCreateFolderJobAsync(run);
}

/// <summary>Runs a queued rename job (<see cref="EntryOperations.RequestRenameAsync"/>).</summary>
internal sealed class RenameJobHandler(EntryOperations operations) : IJobHandler
{
    public string Type => EntryOperations.RenameJobType;

    public Task<JobOutcome> RunAsync(JobRun run) => operations.RunRenameJobAsync(run);
}

/// <summary>Runs a queued batch rename job (<see cref="BatchRenameOperations.RequestBatchRenameAsync"/>).</summary>
internal sealed class BatchRenameJobHandler(BatchRenameOperations operations) : IJobHandler
{
    public string Type => BatchRenameOperations.JobType;

    public Task<JobOutcome> RunAsync(JobRun run) => operations.RunJobAsync(run);
}

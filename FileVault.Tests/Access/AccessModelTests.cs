using Xunit.Abstractions;

namespace FileVault.Tests.Access;

/// <summary>
/// The model-based access test: random grant trees (allow and deny of Read, Write and Delete, nested, to users and a
/// group), random users doing random things through the API (list, details, search, download, new folder, rename,
/// move, copy, delete, trash, restore, with every conflict choice) and an admin changing grants in between; after each
/// step, every answer and the disk and the catalog are held against <see cref="AccessModel"/>, a deliberately simple
/// evaluator that keeps grants on folder identities, so they follow a folder through rename, move, trash and restore.
/// </summary>
/// <remarks>
/// <para>FILEVAULT_MODEL_SEED picks the run (the seed and the step log are in the failure message), FILEVAULT_MODEL_STEPS
/// its length (3000; a few hundred is a quick run), FILEVAULT_MODEL_SECONDS the most it may take (150: on a busy
/// machine fewer steps run, the first ones of the same run, and the output says how many), FILEVAULT_MODEL_FULL_CHECK_EVERY
/// how often every user lists every folder (100), and FILEVAULT_MODEL_KEEP_GOING=1 carries on past a broken invariant to
/// report each one once.</para>
/// <para>What the model allows may still fail (a name taken, a folder moved into itself); what it forbids must be
/// refused with a ProblemDetails code and change nothing on disk, in the catalog or in the trash.</para>
/// </remarks>
public sealed class AccessModelTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Random_operations_of_random_users_stay_within_what_an_independent_model_allows()
    {
        var settings = ModelRunSettings.FromEnvironment();
        var app = new AccessModelApp();
        try
        {
            await app.StartAsync(settings.Seed);
            var run = new AccessModelRun(app, settings);
            var report = await run.RunAsync();
            output.WriteLine(run.Summary);
            if (report is not null)
            {
                Assert.Fail(report);
            }
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }
}

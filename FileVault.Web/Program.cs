using FileVault.Web.Hosting;

if ((await ScanCommand.TryRunAsync(args) ?? await BrowseCommand.TryRunAsync(args) ?? await JobsCommand.TryRunAsync(args)
    ?? await MigrateCommand.TryRunAsync(args) ?? await DedupCommand.TryRunAsync(args)) is { } exitCode)
{
    return exitCode;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddFileVault();

var app = builder.Build();
app.MapFileVault();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

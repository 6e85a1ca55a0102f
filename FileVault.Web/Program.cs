using FileVault.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddFileVault();

var app = builder.Build();
app.MapFileVault();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

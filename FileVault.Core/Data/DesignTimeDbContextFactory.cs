using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace FileVault.Core.Data;

/// <summary>For `dotnet ef migrations add`: builds the model without the app's configuration.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<FileVaultDbContext>
{
    public FileVaultDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FileVaultDbContext>()
            .UseNpgsql(Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=filevault")
            .UseSnakeCaseNamingConvention()
            .Options);
}

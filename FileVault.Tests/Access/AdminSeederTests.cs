using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

public sealed class AdminSeederTests : IAsyncLifetime
{
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Without_a_configured_password_one_is_generated_printed_once_and_works()
    {
        await using var services = CoreServices.Build(_database, new Dictionary<string, string?> { ["FILEVAULT_ADMIN_EMAIL"] = "boss@corp.test" });
        var firstOutput = new StringWriter();
        var secondOutput = new StringWriter();

        await SeedAsync(services, firstOutput);
        await SeedAsync(services, secondOutput);

        var printed = System.Text.RegularExpressions.Regex.Match(firstOutput.ToString(), @"password: (\S+)");
        Assert.True(printed.Success, "The generated password is printed: " + firstOutput);
        Assert.Equal("", secondOutput.ToString());

        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
        var admin = await users.FindByEmailAsync("boss@corp.test");
        Assert.NotNull(admin);
        Assert.True(await users.CheckPasswordAsync(admin, printed.Groups[1].Value));
        Assert.True(await users.IsInRoleAsync(admin, Roles.SuperAdmin));
        Assert.Single(await users.GetUsersInRoleAsync(Roles.SuperAdmin));
    }

    [Fact]
    public async Task A_configured_password_is_used_and_never_printed()
    {
        await using var services = CoreServices.Build(_database, new Dictionary<string, string?>
        {
            ["FILEVAULT_ADMIN_EMAIL"] = "it@corp.test",
            ["FILEVAULT_ADMIN_PASSWORD"] = "configured-password-42",
        });
        var output = new StringWriter();

        await SeedAsync(services, output);

        Assert.DoesNotContain("configured-password-42", output.ToString(), StringComparison.Ordinal);
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
        Assert.True(await users.CheckPasswordAsync((await users.FindByEmailAsync("it@corp.test"))!, "configured-password-42"));
    }

    [Fact]
    public async Task All_roles_exist_after_seeding()
    {
        await using var services = CoreServices.Build(_database);
        await SeedAsync(services, TextWriter.Null);

        await using var scope = services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole<Guid>>>();
        foreach (var role in Roles.All)
        {
            Assert.True(await roles.RoleExistsAsync(role), role);
        }
    }

    [Fact]
    public void Generated_passwords_are_long_mixed_and_different()
    {
        var passwords = Enumerable.Range(0, 50).Select(_ => AdminSeeder.GeneratePassword()).ToList();

        Assert.All(passwords, p =>
        {
            Assert.Equal(20, p.Length);
            Assert.Contains(p, char.IsDigit);
            Assert.Contains(p, char.IsUpper);
            Assert.Contains(p, char.IsLower);
        });
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
    }

    private static async Task SeedAsync(ServiceProvider services, TextWriter output)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminSeeder>().SeedAsync(output, CancellationToken.None);
    }
}

using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Storage;

public sealed class StorageRootRegistryTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("filevault-registry-").FullName;
    private TestDatabase _database = default!;
    private ServiceProvider _services = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _services = CoreServices.Build(_database);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Registering_writes_the_marker_and_records_the_device()
    {
        var result = await RegisterAsync("공유 드라이브", _directory);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var marker = await File.ReadAllTextAsync(Path.Combine(_directory, StorageRootRegistry.MarkerFileName));
        Assert.Equal(result.Value.MarkerId, Guid.Parse(marker.Trim()));
        Assert.Equal(unchecked((long)UnixFileStat.TryGet(_directory)!.Value.Device), result.Value.DeviceId);
        Assert.NotEqual(0, result.Value.DeviceId);

        await using var db = _database.CreateDbContext();
        var stored = await db.StorageRoots.SingleAsync();
        Assert.Equal("공유 드라이브", stored.Name);
        Assert.Equal(_directory, stored.Path);
    }

    [Theory]
    [InlineData("relative/path", "root.path_not_absolute")]
    [InlineData("/no/such/directory/anywhere", "root.path_missing")]
    public async Task Bad_paths_are_refused_with_a_specific_code(string path, string code)
    {
        var result = await RegisterAsync("x", path);

        Assert.Equal(code, result.Error?.Code);
        await using var db = _database.CreateDbContext();
        Assert.Equal(0, await db.StorageRoots.CountAsync());
    }

    [Fact]
    public async Task The_same_directory_cannot_be_registered_twice_even_with_a_trailing_slash()
    {
        Assert.True((await RegisterAsync("one", _directory)).IsSuccess);

        var again = await RegisterAsync("two", _directory + "/");

        Assert.Equal("root.exists", again.Error?.Code);
    }

    [Fact]
    public async Task A_blank_name_is_refused()
    {
        Assert.Equal("root.name_invalid", (await RegisterAsync("   ", _directory)).Error?.Code);
        Assert.False(File.Exists(Path.Combine(_directory, StorageRootRegistry.MarkerFileName)));
    }

    private async Task<FileVault.Core.Result<StorageRoot>> RegisterAsync(string name, string path)
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<StorageRootRegistry>().RegisterAsync(null, name, path, isReadOnly: false, CancellationToken.None);
    }
}

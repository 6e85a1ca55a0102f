using System.Diagnostics;
using FileVault.Core.Downloads;
using FileVault.Core.Media;
using FileVault.Core.Redis;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Tests.Media;

/// <summary>The store behind the endpoint, against the real Redis: one flight per miss, failures logged once, Redis down.</summary>
public sealed class ThumbnailStoreTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("filevault-thumbs-").FullName;
    private TestDatabase _database = default!;
    private ServiceProvider _services = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _services = CoreServices.Build(_database);
    }

    [Fact]
    public async Task Ten_requests_at_once_for_a_missing_thumbnail_make_it_once()
    {
        var store = Store(out _);
        var path = WriteImage("photo.jpg", TestImages.FourQuadrants(2000, 1500));
        var key = KeyOf(path, 1);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => store.GetOrMakeAsync(key, Open(path), CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.ToString()));
        Assert.Single(results.Select(r => Convert.ToBase64String(r.Value)).Distinct());
        Assert.Equal(1, store.Generated);
    }

    [Fact]
    public async Task Two_instances_asking_at_once_make_it_once_between_them()
    {
        var first = Store(out _);
        var second = Store(out _);
        var path = WriteImage("shared.jpg", TestImages.FourQuadrants(3000, 2000));
        var key = KeyOf(path, 2);

        var results = await Task.WhenAll(
            first.GetOrMakeAsync(key, Open(path), CancellationToken.None),
            second.GetOrMakeAsync(key, Open(path), CancellationToken.None));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error?.ToString()));
        Assert.Equal(1, first.Generated + second.Generated);
    }

    [Fact]
    public async Task A_bad_image_is_logged_once_per_version_and_answered_from_memory_after_that()
    {
        var store = Store(out var log);
        var path = WriteImage("archive.jpg", TestImages.Zip());

        var answers = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await store.GetOrMakeAsync(KeyOf(path, 3), Open(path), CancellationToken.None)).Error?.Code);
        }

        var loggedForOneVersion = log.Warnings;
        await store.GetOrMakeAsync(KeyOf(path, 3) with { ModifiedTicks = 42 }, Open(path), CancellationToken.None);

        Assert.Equal(["media.unreadable", "media.unreadable", "media.unreadable"], answers);
        Assert.Equal(1, loggedForOneVersion);
        Assert.Equal(2, log.Warnings);
    }

    [Fact]
    public async Task With_redis_down_every_request_is_made_and_served_without_waiting_for_redis()
    {
        var closed = TestEnvironment.FreeLoopbackPort();
        await using var down = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{closed},abortConnect=false,connectTimeout=500,asyncTimeout=2000");
        var cache = new ThumbnailCache(down, _services.GetRequiredService<RedisKeys>(), TimeProvider.System, new CountingLogger<ThumbnailCache>());
        var store = Store(out _, cache);
        var path = WriteImage("uncached.jpg", TestImages.FourQuadrants(1200, 800));
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await store.GetOrMakeAsync(KeyOf(path, 4), Open(path), CancellationToken.None)).IsSuccess);
        }

        // Uncached: each request decodes again. Asking Redis would cost its 2 s timeout per call.
        Assert.Equal(3, store.Generated);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"three thumbnails took {clock.Elapsed}");
    }

    [Fact]
    public async Task With_a_thumbnail_folder_a_redis_flush_is_answered_from_the_folder_without_decoding_again()
    {
        var folder = Path.Combine(_directory, "thumbnails");
        await using var services = CoreServices.Build(_database, new Dictionary<string, string?> { ["FileVault:Media:ThumbnailDirectory"] = folder });
        var store = ActivatorUtilities.CreateInstance<ThumbnailStore>(services, new CountingLogger<ThumbnailStore>());
        var redis = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var path = WriteImage("kept.jpg", TestImages.FourQuadrants(1600, 1200));
        var key = KeyOf(path, 5);
        var made = await store.GetOrMakeAsync(key, Open(path), CancellationToken.None);

        // A flush, of this thumbnail only: the Redis is shared by tests running in parallel.
        Assert.True(await redis.KeyDeleteAsync(services.GetRequiredService<RedisKeys>().For(key.Name)));
        var kept = await store.GetOrMakeAsync(key, Open(path), CancellationToken.None);

        Assert.Equal(made.Value, kept.Value);
        Assert.Equal(1, store.Generated);
        Assert.True(await redis.KeyExistsAsync(services.GetRequiredService<RedisKeys>().For(key.Name)), "put back into Redis");
        var file = Assert.Single(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));

        // A new version of the file replaces the old one's thumbnail in the folder.
        await store.GetOrMakeAsync(key with { ModifiedTicks = key.ModifiedTicks + 10 }, Open(path), CancellationToken.None);
        Assert.NotEqual(file, Assert.Single(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)));
    }

    /// <summary>A store as one app instance has it (its own flights), on the shared Redis unless given another cache.</summary>
    private ThumbnailStore Store(out CountingLogger<ThumbnailStore> log, ThumbnailCache? cache = null)
    {
        log = new CountingLogger<ThumbnailStore>();
        return cache is null
            ? ActivatorUtilities.CreateInstance<ThumbnailStore>(_services, log)
            : ActivatorUtilities.CreateInstance<ThumbnailStore>(_services, log, cache);
    }

    private string WriteImage(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ThumbnailKey KeyOf(string path, long entryId)
    {
        var info = new FileInfo(path);
        return new ThumbnailKey(entryId, info.Length, info.LastWriteTimeUtc.Ticks, ThumbnailSize.Small, ThumbnailFormat.Webp);
    }

    private static DownloadFile Open(string path)
    {
        var info = new FileInfo(path);
        return new DownloadFile(File.OpenHandle(path), info.Name, "image/jpeg", info.Length, info.LastWriteTimeUtc, "\"test\"", null);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Counts warnings: how often a reason was logged.</summary>
public sealed class CountingLogger<T> : ILogger<T>
{
    private int _warnings;

    public int Warnings => Volatile.Read(ref _warnings);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.Warning)
        {
            Interlocked.Increment(ref _warnings);
        }
    }
}

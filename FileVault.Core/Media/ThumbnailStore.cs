using System.Collections.Concurrent;
using FileVault.Core.Downloads;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Media;

/// <summary>
/// Where thumbnails come from once access is settled: Redis when cached, else made once however many ask at the same
/// moment (one flight per key in this process, and a short Redis lease so that several instances do not all decode the
/// same photo), at most <see cref="MediaOptions.MaxConcurrentGenerations"/> decodes at a time. An image that cannot be
/// made is remembered per version, so its reason is logged once and it is not decoded again on every request.
/// </summary>
public sealed class ThumbnailStore : IDisposable
{
    private static readonly TimeSpan WaitStep = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, Flight> _flights = new();
    private readonly MemoryCache _failures = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly GenerationGate _gate;
    private readonly ThumbnailGenerator _generator;
    private readonly ThumbnailCache _cache;
    private readonly ThumbnailFolder _folder;
    private readonly ExifCatalog _exif;
    private readonly IOptions<MediaOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ThumbnailStore> _logger;

    public ThumbnailStore(
        ThumbnailGenerator generator, ThumbnailCache cache, ThumbnailFolder folder, ExifCatalog exif, IOptions<MediaOptions> options, TimeProvider time,
        ILogger<ThumbnailStore> logger)
    {
        _folder = folder;
        _generator = generator;
        _cache = cache;
        _exif = exif;
        _options = options;
        _time = time;
        _logger = logger;
        _gate = new GenerationGate(options.Value.GenerationSlots);
    }

    /// <summary>Thumbnails made by this process since it started (cache misses that decoded an image).</summary>
    public long Generated => Interlocked.Read(ref _generated);

    private long _generated;

    /// <summary>Whether a thumbnail made now is kept anywhere (Redis reachable): background work with nowhere to keep its result is not worth doing.</summary>
    public bool CanKeep => _cache.IsAvailable || _folder.IsConfigured;

    /// <summary>
    /// The thumbnail of <paramref name="key"/>, reading <paramref name="file"/> (opened by the caller after its access
    /// check) when it must be made. Takes ownership of <paramref name="file"/>: a flight that outlives a caller who gave
    /// up still has its file open. <paramref name="background"/> work (the queue) waits for a decode slot behind every
    /// request; a request joining a background flight lifts it to the requests' line.
    /// </summary>
    public async Task<Result<byte[]>> GetOrMakeAsync(ThumbnailKey key, DownloadFile file, CancellationToken cancellationToken, bool background = false)
    {
        var name = key.Name;
        Flight? mine = null;
        try
        {
            if (_failures.TryGetValue(name, out Error? failed))
            {
                return failed!;
            }

            if (await _cache.GetAsync(key) is { } cached)
            {
                return cached;
            }

            if (await _folder.ReadAsync(key, cancellationToken) is { } kept)
            {
                // Redis lost it (flushed, restarted, dropped under its cap): put it back for the next request.
                await CacheAsync(key, kept);
                return kept;
            }

            mine = new Flight(background);
            var flight = _flights.GetOrAdd(name, mine);
            if (!ReferenceEquals(flight, mine))
            {
                mine = null;
                if (!background)
                {
                    flight.Promote();
                }
            }
            else
            {
                flight.Start(() => MakeAsync(key, file, flight));
            }

            return await flight.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            // The flight that uses the file closes it; every other caller closes its own at once.
            if (mine is null)
            {
                file.Dispose();
            }
        }
    }

    private async Task<Result<byte[]>> MakeAsync(ThumbnailKey key, DownloadFile file, Flight flight)
    {
        try
        {
            var (outcome, lease) = await _cache.TryLeaseAsync(key, _options.Value.GenerationLockTtl);
            await using (lease)
            {
                if (outcome == ThumbnailCache.LeaseOutcome.Busy && await WaitForOtherInstanceAsync(key) is { } made)
                {
                    return made;
                }

                await using var content = new BufferedStream(file.OpenContent(), 64 * 1024);
                Result<GeneratedThumbnail> generated;
                using (var slot = flight.Enter(_gate))
                {
                    await slot.Entered;
                    generated = _generator.Generate(content, key.Size);
                }

                if (!generated.IsSuccess)
                {
                    // Once per version and process: the next request is answered from memory, without decoding or logging.
                    _logger.LogWarning("No thumbnail for entry {Entry} ({Size}, {Length} bytes): {Code} {Reason}",
                        key.EntryId, key.Size, key.Length, generated.Error!.Code, generated.Error.Message);
                    _failures.Set(key.Name, generated.Error, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _options.Value.CacheTtl });
                    return generated.Error;
                }

                Interlocked.Increment(ref _generated);
                var bytes = generated.Value.Bytes;
                await CacheAsync(key, bytes);
                await _folder.WriteAsync(key, bytes, CancellationToken.None);
                await RecordExifAsync(key, content);
                return bytes;
            }
        }
        finally
        {
            file.Dispose();
            _flights.TryRemove(key.Name, out _);
        }
    }

    /// <summary>A thumbnail already made (Redis, then the thumbnail folder); null when none was kept. Never decodes.</summary>
    public async Task<byte[]?> GetCachedAsync(ThumbnailKey key, CancellationToken cancellationToken) =>
        await _cache.GetAsync(key) ?? await _folder.ReadAsync(key, cancellationToken);

    private Task CacheAsync(ThumbnailKey key, byte[] bytes) =>
        bytes.Length > _options.Value.CacheMaxEntryBytes ? Task.CompletedTask : _cache.SetAsync(key, bytes, _options.Value.CacheTtl, _options.Value.CacheMaxBytes);

    /// <summary>A photo's EXIF goes into the catalog with its first thumbnail; the thumbnail is served whether or not that works.</summary>
    private async Task RecordExifAsync(ThumbnailKey key, Stream content)
    {
        try
        {
            await _exif.GetOrReadAsync(key.EntryId, key.Length, key.ModifiedTicks, content, CancellationToken.None);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException or InvalidOperationException)
        {
            _logger.LogWarning("EXIF of entry {Entry} was not stored: {Reason}", key.EntryId, ex.Message);
        }
    }

    /// <summary>Another instance holds the lease: its thumbnail appears in Redis soon. Null when it did not within the lease's time.</summary>
    private async Task<byte[]?> WaitForOtherInstanceAsync(ThumbnailKey key)
    {
        var deadline = _time.GetUtcNow() + _options.Value.GenerationLockTtl;
        while (_time.GetUtcNow() < deadline)
        {
            await Task.Delay(WaitStep, _time);
            if (await _cache.GetAsync(key) is { } made)
            {
                return made;
            }
        }

        return null;
    }

    public void Dispose() => _failures.Dispose();

    /// <summary>One thumbnail being made, which everyone asking for it awaits; background until a request joins it.</summary>
    private sealed class Flight(bool background)
    {
        private readonly TaskCompletionSource<Task<Result<byte[]>>> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private bool _background = background;
        private GenerationGate.Ticket? _ticket;

        public Task<Result<byte[]>> Task => _started.Task.Unwrap();

        public void Start(Func<Task<Result<byte[]>>> make) => _started.SetResult(System.Threading.Tasks.Task.Run(make));

        public GenerationGate.Ticket Enter(GenerationGate gate)
        {
            lock (_lock)
            {
                _ticket = gate.Enter(_background);
                return _ticket;
            }
        }

        public void Promote()
        {
            lock (_lock)
            {
                _background = false;
                _ticket?.Promote();
            }
        }
    }
}

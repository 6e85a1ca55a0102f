using System.Collections.Concurrent;

namespace FileVault.Core.Uploads;

/// <summary>
/// The chunks this process answered before they were durable: each one's fsync and offset record still running, with
/// its upload's lease, after the PATCH's 204 went out (see <see cref="UploadStore.AppendAsync"/>). Every request of this
/// process for an upload waits for its pending chunk first, so it finds the offset recorded and the lease free, as it
/// would have after a PATCH that synced before answering. On shutdown the container waits for the chunks still pending.
/// </summary>
public sealed class PendingChunks : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _pending = new(StringComparer.Ordinal);

    /// <summary>Tracks an upload's settling chunk (a task that never fails) until it has run.</summary>
    internal void Track(string uploadId, Task settling)
    {
        _pending[uploadId] = settling;
        _ = settling.ContinueWith(
            done => _pending.TryRemove(new KeyValuePair<string, Task>(uploadId, done)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Done when the upload's last answered chunk is synced and recorded (at once when none is pending).</summary>
    public Task SettledAsync(string uploadId, CancellationToken cancellationToken) =>
        _pending.TryGetValue(uploadId, out var settling) ? settling.WaitAsync(cancellationToken) : Task.CompletedTask;

    public async ValueTask DisposeAsync() => await Task.WhenAll(_pending.Values);
}

using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FileVault.Core.Uploads;

/// <summary>
/// The running SHA-256 of the uploads whose chunks this process received one after another, so that completion need not
/// read the whole staged file again. Only a shortcut: a chunk that went to another instance, a restart, or any chunk
/// that did not end whole drops an upload's state, and completion then hashes the staged file as it always could.
/// Taken and put back under the upload's lease, so one request at a time holds an upload's state.
/// </summary>
public sealed class UploadHashes(TimeProvider time)
{
    // Past this many states, those untouched for an hour go: an abandoned upload's state is a few hundred bytes.
    private const int SweepAbove = 256;
    private static readonly TimeSpan Idle = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    private sealed record State(long Offset, IncrementalHash Hash, DateTimeOffset TouchedAt);

    /// <summary>
    /// The hash of the upload's first <paramref name="offset"/> bytes, for this request to continue: the state left
    /// exactly there, or a new one at offset 0; null when this process does not know it. The caller owns what it gets.
    /// </summary>
    public IncrementalHash? Take(string uploadId, long offset)
    {
        if (_states.TryRemove(uploadId, out var state))
        {
            if (state.Offset == offset)
            {
                return state.Hash;
            }

            state.Hash.Dispose();
        }

        return offset == 0 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    /// <summary>Keeps the hash of the upload's first <paramref name="offset"/> bytes for its next chunk.</summary>
    public void Put(string uploadId, long offset, IncrementalHash hash)
    {
        if (_states.Count > SweepAbove)
        {
            var before = time.GetUtcNow() - Idle;
            foreach (var (id, stale) in _states.Where(s => s.Value.TouchedAt < before))
            {
                if (_states.TryRemove(new KeyValuePair<string, State>(id, stale)))
                {
                    stale.Hash.Dispose();
                }
            }
        }

        if (_states.TryGetValue(uploadId, out var old) && _states.TryRemove(new KeyValuePair<string, State>(uploadId, old)))
        {
            old.Hash.Dispose();
        }

        _states[uploadId] = new State(offset, hash, time.GetUtcNow());
    }

    /// <summary>Drops what is known of an upload that ended (completed, terminated, discarded).</summary>
    public void Forget(string uploadId)
    {
        if (_states.TryRemove(uploadId, out var state))
        {
            state.Hash.Dispose();
        }
    }
}

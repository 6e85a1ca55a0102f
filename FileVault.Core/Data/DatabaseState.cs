namespace FileVault.Core.Data;

/// <summary>Whether the database has been reached, migrated and seeded since start-up.</summary>
public sealed class DatabaseState
{
    private volatile bool _isReady;
    private volatile string? _lastError;

    public bool IsReady => _isReady;

    public string? LastError => _lastError;

    internal void MarkReady()
    {
        _lastError = null;
        _isReady = true;
    }

    internal void MarkFailed(string error) => _lastError = error;
}

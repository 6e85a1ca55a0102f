using System.Security.Cryptography;
using System.Text;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Tokens;

/// <summary>
/// The JWT signing key: FileVault:Jwt:SigningKey when configured, else one generated at first use and kept in the
/// database so every instance (and the next start) signs and verifies with the same key. Read once per process.
/// </summary>
public sealed class ApiSigningKeyStore(IDbContextFactory<FileVaultDbContext> dbFactory, IOptions<ApiTokenOptions> options, TimeProvider time,
    ILogger<ApiSigningKeyStore> logger)
{
    public const int MinimumKeyBytes = 32;

    private volatile byte[]? _key;

    /// <summary>The key once <see cref="GetAsync"/> has loaded it; null before.</summary>
    public byte[]? Current => _key;

    public async Task<byte[]> GetAsync(CancellationToken cancellationToken)
    {
        if (_key is { } loaded)
        {
            return loaded;
        }

        // Concurrent first loads are harmless: the insert is idempotent and every loader reads the same row.
        var key = await LoadAsync(cancellationToken);
        _key = key;
        return key;
    }

    private async Task<byte[]> LoadAsync(CancellationToken cancellationToken)
    {
        if (options.Value.SigningKey is { Length: > 0 } configured)
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            return bytes.Length >= MinimumKeyBytes
                ? bytes
                : throw new InvalidOperationException($"FileVault:Jwt:SigningKey must be at least {MinimumKeyBytes} bytes.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.ApiSigningKeys.AsNoTracking().Where(k => k.Id == 1).Select(k => k.KeyMaterial).SingleOrDefaultAsync(cancellationToken);
        if (stored is not null)
        {
            return stored;
        }

        // Two instances starting together: the first insert wins and both read the winner.
        var generated = RandomNumberGenerator.GetBytes(64);
        var inserted = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO api_signing_keys (id, key_material, created_at) VALUES (1, {generated}, {time.GetUtcNow()}) ON CONFLICT (id) DO NOTHING",
            cancellationToken);
        if (inserted == 1)
        {
            logger.LogInformation("Generated the API signing key and stored it in the database");
        }

        return await db.ApiSigningKeys.AsNoTracking().Where(k => k.Id == 1).Select(k => k.KeyMaterial).SingleAsync(cancellationToken);
    }
}

using System.Text.Json;
using FileVault.Core.Data;

namespace FileVault.Core.Audit;

/// <summary>Adds audit rows to a context, so they are saved in the same transaction as the change they describe.</summary>
public static class AuditTrail
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static void Add(FileVaultDbContext db, TimeProvider time, Guid? actorId, string action, string target, object? detail = null) =>
        db.AuditLog.Add(new AuditRecord
        {
            At = time.GetUtcNow(),
            ActorId = actorId,
            Action = action,
            Target = target,
            Detail = detail is null ? "{}" : JsonSerializer.Serialize(detail, JsonOptions),
        });
}

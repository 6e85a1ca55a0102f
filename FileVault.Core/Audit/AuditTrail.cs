using System.Text.Json;
using FileVault.Core.Data;

namespace FileVault.Core.Audit;

/// <summary>Adds audit rows to a context, so they are saved in the same transaction as the change they describe.</summary>
public static class AuditTrail
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A <paramref name="detail"/> with a <c>to</c> (where the target went) and a <c>job</c> (the job's id) shows them in
    /// their own columns on the audit page.
    /// </summary>
    public static void Add(
        FileVaultDbContext db, TimeProvider time, Guid? actorId, string action, string target, object? detail = null,
        AuditResult result = AuditResult.Succeeded) =>
        db.AuditLog.Add(new AuditRecord
        {
            At = time.GetUtcNow(),
            ActorId = actorId,
            Action = action,
            Target = target,
            Detail = Detail(detail),
            Result = result,
        });

    /// <summary>A record's detail as stored (JSON, web casing), for a caller that writes its audit row in its own SQL.</summary>
    public static string Detail(object? detail) => detail is null ? "{}" : JsonSerializer.Serialize(detail, JsonOptions);
}

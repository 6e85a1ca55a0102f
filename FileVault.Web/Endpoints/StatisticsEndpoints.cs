using System.Security.Claims;
using FileVault.Core.Monitoring;

namespace FileVault.Web.Endpoints;

public static class StatisticsEndpoints
{
    public static RouteGroupBuilder MapStatisticsEndpoints(this RouteGroupBuilder admin)
    {
        var statistics = admin.MapGroup("/statistics").WithTags("Admin: storage statistics");
        statistics.MapGet("/roots/{rootId:int}", async (
                int rootId, int? days, ClaimsPrincipal user, StorageStatistics stats, TimeProvider time, CancellationToken ct) =>
                (await stats.ForRootAsync(user.Actor(), rootId, time.GetUtcNow().AddDays(-Math.Clamp(days ?? 30, 1, 3650)), ct)).ToOk())
            .WithName("StorageStatistics")
            .WithSummary("A root's bytes and files by type and extension, largest folders and top uploaders as of its last scan, and its totals at each scan of the last `days` (30); null before the first.");
        return admin;
    }
}

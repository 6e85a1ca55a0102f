using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Scanning;

public sealed record RootStatus(
    int Id, string Name, string Path, bool IsReadOnly, RootHealth Health, string? HealthMessage, DateTimeOffset? HealthCheckedAt,
    bool AlertOpen, ScanRunSummary? LastCompleted, long ActiveEntries);

public sealed record ScanRunSummary(
    long Id, int RootId, string RootName, ScanKind Kind, ScanStatus Status, string TriggeredBy, DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt, long Seen, long Added, long Updated, long Renamed, long Missing, long HeldMissing, long Errors,
    double EntriesPerSecond, string? Message);

public sealed record ScanErrorRow(string RelativePath, string Code, string Message);

public sealed record RootAlert(int RootId, string RootName, string? Message);

/// <summary>
/// Read side of the scanner for the admin pages. Admins only: roots' server paths and scan errors name places on the
/// server and paths a user may not be allowed to read (<c>auth.forbidden</c> for anyone else).
/// </summary>
public sealed class ScanQueries(IDbContextFactory<FileVaultDbContext> contexts)
{
    public async Task<Result<IReadOnlyList<RootStatus>>> RootsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (Refuse(actor) is { } refused)
        {
            return refused;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var roots = await db.StorageRoots.AsNoTracking().OrderBy(r => r.Name).ToListAsync(cancellationToken);
        var lastIds = roots.Where(r => r.LastCompletedScanId is not null).Select(r => r.LastCompletedScanId!.Value).ToList();
        var last = (await RunsAsync(db, db.ScanRuns.Where(r => lastIds.Contains(r.Id)), cancellationToken)).ToDictionary(r => r.Id);
        var counts = await db.Entries.AsNoTracking()
            .Where(e => e.State == Catalog.EntryState.Active && e.RelativePath != "")
            .GroupBy(e => e.RootId)
            .Select(g => new { RootId = g.Key, Count = g.LongCount() })
            .ToDictionaryAsync(g => g.RootId, g => g.Count, cancellationToken);
        return roots.Select(r => new RootStatus(
                r.Id, r.Name, r.Path, r.IsReadOnly, r.Health, r.HealthMessage, r.HealthCheckedAt, r.AlertOpen,
                r.LastCompletedScanId is { } id && last.TryGetValue(id, out var run) ? run : null,
                counts.GetValueOrDefault(r.Id)))
            .ToList();
    }

    public async Task<Result<IReadOnlyList<ScanRunSummary>>> RecentRunsAsync(AccessSubject actor, int count, CancellationToken cancellationToken)
    {
        if (Refuse(actor) is { } refused)
        {
            return refused;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return Result<IReadOnlyList<ScanRunSummary>>.Success(await RunsAsync(db, db.ScanRuns.OrderByDescending(r => r.Id).Take(count), cancellationToken));
    }

    public async Task<Result<IReadOnlyList<ScanErrorRow>>> ErrorsAsync(AccessSubject actor, long scanRunId, int count, CancellationToken cancellationToken)
    {
        if (Refuse(actor) is { } refused)
        {
            return refused;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ScanErrors.AsNoTracking()
            .Where(e => e.ScanRunId == scanRunId)
            .OrderBy(e => e.Id)
            .Take(count)
            .Select(e => new ScanErrorRow(e.RelativePath, e.Code, e.Message))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Roots an admin must look at: unhealthy, or holding back a scan's missing entries.</summary>
    public async Task<Result<IReadOnlyList<RootAlert>>> AlertsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (Refuse(actor) is { } refused)
        {
            return refused;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.StorageRoots.AsNoTracking()
            .Where(r => r.AlertOpen)
            .OrderBy(r => r.Name)
            .Select(r => new RootAlert(r.Id, r.Name, r.HealthMessage))
            .ToListAsync(cancellationToken);
    }

    private static Error? Refuse(AccessSubject actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.IsAdministrator ? null : AccessErrors.Forbidden("reading storage roots and scans");
    }

    private static async Task<IReadOnlyList<ScanRunSummary>> RunsAsync(FileVaultDbContext db, IQueryable<ScanRun> runs, CancellationToken cancellationToken) =>
        await runs.AsNoTracking()
            .Join(db.StorageRoots, r => r.RootId, root => root.Id, (r, root) => new { Run = r, RootName = root.Name })
            .OrderByDescending(x => x.Run.Id)
            .Select(x => new ScanRunSummary(
                x.Run.Id, x.Run.RootId, x.RootName, x.Run.Kind, x.Run.Status, x.Run.TriggeredBy, x.Run.StartedAt, x.Run.FinishedAt,
                x.Run.Seen, x.Run.Added, x.Run.Updated, x.Run.Renamed, x.Run.Missing, x.Run.HeldMissing, x.Run.Errors,
                x.Run.EntriesPerSecond, x.Run.Message))
            .ToListAsync(cancellationToken);
}

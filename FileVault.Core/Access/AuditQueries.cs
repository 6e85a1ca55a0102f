using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using FileVault.Core.Audit;

namespace FileVault.Core.Access;

/// <summary>What the audit page narrows to; every part optional. <see cref="Until"/> is exclusive.</summary>
public sealed record AuditFilter(
    string? UserEmail = null, string? Action = null, string? PathContains = null, AuditResult? Result = null,
    DateTimeOffset? From = null, DateTimeOffset? Until = null);

/// <summary>Where a page ended: the next page starts after this row (newest first).</summary>
public sealed record AuditCursor(DateTimeOffset At, long Id);

/// <summary>One line of the audit page.</summary>
public sealed record AuditEntry(
    long Id, DateTimeOffset At, Guid? ActorId, string? ActorEmail, string Action, string Target, string? To, AuditResult Result, long? JobId);

/// <summary>A page of the audit trail and the cursor of the next one (null on the last page).</summary>
public sealed record AuditListing(IReadOnlyList<AuditEntry> Items, AuditCursor? Next);

/// <summary>The audit trail for administrators: filtered in SQL, newest first, in keyset pages.</summary>
public sealed class AuditQueries(IDbContextFactory<FileVaultDbContext> contexts)
{
    public const int MaxPageSize = 200;

    public async Task<Result<AuditListing>> PageAsync(AccessSubject actor, AuditFilter filter, AuditCursor? after, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(filter);
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators read the audit trail.");
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            return new Error("audit.page_size", $"A page has 1 to {MaxPageSize} rows.");
        }

        if (filter.From is { } from && filter.Until is { } until && from >= until)
        {
            return new Error("audit.range_invalid", "The start of the range must be before its end.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = db.AuditLog.AsNoTracking();
        if (Trimmed(filter.UserEmail) is { } email)
        {
            var pattern = LikePatterns.Containing(email);
            var actors = db.Users.Where(u => EF.Functions.ILike(u.Email!, pattern, LikePatterns.Escape)).Select(u => (Guid?)u.Id);
            rows = rows.Where(a => actors.Contains(a.ActorId));
        }

        if (Trimmed(filter.Action) is { } action)
        {
            rows = rows.Where(a => a.Action == action);
        }

        if (Trimmed(filter.PathContains) is { } path)
        {
            var pattern = LikePatterns.Containing(path);
            rows = rows.Where(a => EF.Functions.ILike(a.Target, pattern, LikePatterns.Escape) || (a.To != null && EF.Functions.ILike(a.To, pattern, LikePatterns.Escape)));
        }

        if (filter.Result is { } result)
        {
            rows = rows.Where(a => a.Result == result);
        }

        if (filter.From is { } start)
        {
            rows = rows.Where(a => a.At >= start);
        }

        if (filter.Until is { } end)
        {
            rows = rows.Where(a => a.At < end);
        }

        if (after is not null)
        {
            rows = rows.Where(a => a.At < after.At || (a.At == after.At && a.Id < after.Id));
        }

        var page = await (
            from a in rows
            orderby a.At descending, a.Id descending
            select new { a.Id, a.At, a.ActorId, a.Action, a.Target, a.To, a.Result, a.JobId })
            .Take(pageSize + 1)
            .ToListAsync(cancellationToken);

        var actorIds = page.Where(a => a.ActorId is not null).Select(a => a.ActorId!.Value).Distinct().ToList();
        var emails = await db.Users.AsNoTracking().Where(u => actorIds.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.Email, cancellationToken);
        var items = page.Take(pageSize)
            .Select(a => new AuditEntry(a.Id, a.At, a.ActorId, a.ActorId is { } id ? emails.GetValueOrDefault(id) : null, a.Action, a.Target, a.To, a.Result, a.JobId))
            .ToList();
        var next = page.Count > pageSize ? new AuditCursor(items[^1].At, items[^1].Id) : null;
        return new AuditListing(items, next);
    }

    /// <summary>The actions recorded so far, for the filter's choices.</summary>
    public async Task<Result<IReadOnlyList<string>>> ActionsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators read the audit trail.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditLog.Select(a => a.Action).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
    }

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

using FileVault.Core.Catalog;
using FileVault.Core.Data;

namespace FileVault.Core.Access;

/// <summary>
/// The access evaluator's read rule as a SQL filter, so browse and search never load rows the user may not read
/// (R-AUTH-1: counts and pages are computed on readable rows only).
/// </summary>
public static class ReadableEntries
{
    /// <summary>
    /// Keeps the entries <paramref name="subject"/> may read, by the same rules as <see cref="AccessEvaluator"/>: an
    /// entry is readable when some allow grant with Read of the user or one of their groups sits on the entry or an
    /// ancestor folder, and no deny with Read sits on that folder or between it and the entry. <paramref name="db"/>
    /// must be the context <paramref name="entries"/> comes from. Admins get <paramref name="entries"/> unchanged.
    /// </summary>
    /// <remarks>
    /// "Under a folder" is decided on whole components and bytewise (collation "C" on both columns):
    /// <c>path = folder</c> or <c>folder || '/' &lt; path &lt; folder || '0'</c> ('0' is the character after '/'),
    /// which a LIKE pattern built from a folder name containing '%' or '_' would get wrong, and which the
    /// (root_id, relative_path) index can serve.
    /// </remarks>
    public static IQueryable<Entry> WhereReadable(this IQueryable<Entry> entries, FileVaultDbContext db, AccessSubject subject)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(subject);
        if (subject.IsAdministrator)
        {
            return entries;
        }

        var userId = subject.UserId;
        var readGrants = db.FolderGrants.Where(g => (g.Permissions & Permission.Read) != 0
            && (g.UserId == userId || db.GroupMembers.Any(m => m.UserId == userId && m.GroupId == g.GroupId)));
        var allows = readGrants.Where(g => g.Effect == GrantEffect.Allow);
        var denies = readGrants.Where(g => g.Effect == GrantEffect.Deny);

        return entries.Where(e => allows.Any(a =>
            a.RootId == e.RootId
            && (a.RelativePath == ""
                || e.RelativePath == a.RelativePath
                || (e.RelativePath.CompareTo(a.RelativePath + "/") > 0 && e.RelativePath.CompareTo(a.RelativePath + "0") < 0))
            // A deny on the allow's folder or deeper, still on the entry's path, takes the entry away again.
            && !denies.Any(d =>
                d.RootId == e.RootId
                && d.RelativePath.Length >= a.RelativePath.Length
                && (d.RelativePath == ""
                    || e.RelativePath == d.RelativePath
                    || (e.RelativePath.CompareTo(d.RelativePath + "/") > 0 && e.RelativePath.CompareTo(d.RelativePath + "0") < 0)))));
    }
}

namespace FileVault.Core.Catalog;

/// <summary>Catalog lookups that many features ask, written once so each uses the index it needs.</summary>
public static class EntryQueries
{
    // Entry.SortGroup's two values: folders (0) and everything else (1).
    internal static readonly short[] BothSortGroups = [0, 1];

    /// <summary>
    /// The active entries of a folder that hold a name (by its <see cref="EntryName.Key"/>): at most one, by the catalog's
    /// rule, but asked as a query so callers pick their columns.
    /// </summary>
    /// <remarks>
    /// Both sort groups are named: the only index that leads with the parent is the browse index on (parent, sort group,
    /// name key, id), and without its second column the probe walked every entry of the folder, O(folder size) per call.
    /// </remarks>
    public static IQueryable<Entry> ActiveNamed(this IQueryable<Entry> entries, long? parentId, string nameKey) =>
        entries.Where(e => e.ParentId == parentId && BothSortGroups.Contains(e.SortGroup) && e.NameKey == nameKey && e.State == EntryState.Active);
}

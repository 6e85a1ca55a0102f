namespace FileVault.Tests.Access;

/// <summary>The permissions the model decides: its own type, so that nothing of the product's evaluator leaks into the oracle.</summary>
[Flags]
internal enum ModelBits
{
    None = 0,
    Read = 1,
    Write = 2,
    Delete = 4,
    All = Read | Write | Delete,
}

/// <summary>One catalog row as the model sees it: in the tree, or in the trash.</summary>
internal sealed record ModelEntry(long Id, long? ParentId, string Name, string Path, bool IsFolder, long Size, bool Trashed)
{
    /// <summary>How names compare within a folder (the test only makes ASCII names).</summary>
    public string Key => Name.ToLowerInvariant();

    public bool IsRoot => ParentId is null;
}

/// <summary>A grant attached to its folder's identity (entry id), never to a path: it follows the folder wherever it goes.</summary>
internal sealed record ModelGrant(long GrantId, long FolderId, Guid? UserId, int? GroupId, ModelBits Bits, bool Deny);

/// <summary>A trash item: what the deleted entry was, where it came from, who deleted it.</summary>
internal sealed record ModelTrashItem(long Id, long EntryId, string OriginalPath, string Name, Guid DeletedById);

/// <summary>The catalog at one instant, with the lookups the model needs.</summary>
internal sealed class ModelTree
{
    private static readonly IReadOnlyList<ModelEntry> NoChildren = [];
    private readonly Dictionary<long, ModelEntry> _byId;
    private readonly Dictionary<long, List<ModelEntry>> _children = [];
    private readonly Dictionary<string, ModelEntry> _activeByPath = new(StringComparer.Ordinal);

    public ModelTree(IEnumerable<ModelEntry> entries)
    {
        var all = entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        _byId = all.ToDictionary(e => e.Id);
        foreach (var entry in all)
        {
            if (!entry.Trashed)
            {
                _activeByPath[entry.Path] = entry;
            }

            // A trashed folder keeps its original parent's id: it is not that folder's child any more.
            if (entry.ParentId is { } parentId && _byId.TryGetValue(parentId, out var parent) && parent.Trashed == entry.Trashed)
            {
                if (!_children.TryGetValue(parentId, out var siblings))
                {
                    _children[parentId] = siblings = [];
                }

                siblings.Add(entry);
            }
        }

        Active = all.Where(e => !e.Trashed).ToList();
        Trashed = all.Where(e => e.Trashed).ToList();
        Root = Active.Single(e => e.IsRoot);
    }

    public ModelEntry Root { get; }

    /// <summary>Every entry in the tree, the root included, ordered by path.</summary>
    public IReadOnlyList<ModelEntry> Active { get; }

    /// <summary>Every entry in the trash (the deleted ones and what was beneath them), ordered by path.</summary>
    public IReadOnlyList<ModelEntry> Trashed { get; }

    public IEnumerable<ModelEntry> Folders => Active.Where(e => e.IsFolder);

    public ModelEntry? Find(long id) => _byId.GetValueOrDefault(id);

    public ModelEntry? FindActive(long id) => _byId.GetValueOrDefault(id) is { Trashed: false } entry ? entry : null;

    public ModelEntry? AtPath(string path) => _activeByPath.GetValueOrDefault(path);

    public ModelEntry? Parent(ModelEntry entry) => entry.ParentId is { } id ? Find(id) : null;

    public IReadOnlyList<ModelEntry> ChildrenOf(long folderId) => _children.TryGetValue(folderId, out var children) ? children : NoChildren;

    /// <summary>The entry and everything below it.</summary>
    public IEnumerable<ModelEntry> Subtree(ModelEntry entry)
    {
        var pending = new Stack<ModelEntry>();
        pending.Push(entry);
        while (pending.TryPop(out var next))
        {
            yield return next;
            foreach (var child in ChildrenOf(next.Id))
            {
                pending.Push(child);
            }
        }
    }

    /// <summary>
    /// Where a trash item goes back to: the folder at its original parent path, or, when that folder is gone, the
    /// deepest folder still there on that path (the missing ones are re-created in it); and whether it is the exact one.
    /// </summary>
    public (ModelEntry Folder, bool Exact) RestoreFolder(string originalPath)
    {
        var path = ModelRules.ParentOf(originalPath);
        var exact = true;
        while (true)
        {
            if (AtPath(path) is { IsFolder: true } folder)
            {
                return (folder, exact);
            }

            exact = false;
            path = ModelRules.ParentOf(path);
        }
    }
}

/// <summary>
/// The independent evaluator: grants attached to folder identities, evaluated on a tree walked by parent ids. Each
/// permission is decided by the nearest folder (the entry itself for a folder, its folder for a file, then up to the
/// root) carrying a grant of the user or one of their groups that mentions it; on that folder a deny beats an allow;
/// without any such grant the permission is denied. Admins have every permission.
/// </summary>
internal sealed class AccessModel
{
    private static readonly ModelBits[] EachBit = [ModelBits.Read, ModelBits.Write, ModelBits.Delete];
    private readonly List<ModelGrant> _grants = [];
    private readonly HashSet<Guid> _admins = [];
    private readonly Dictionary<int, HashSet<Guid>> _groups = [];

    public IReadOnlyList<ModelGrant> Grants => _grants;

    public void AddAdmin(Guid user) => _admins.Add(user);

    public bool IsAdmin(Guid user) => _admins.Contains(user);

    public void AddMember(int group, Guid user)
    {
        if (!_groups.TryGetValue(group, out var members))
        {
            _groups[group] = members = [];
        }

        members.Add(user);
    }

    public void RemoveMember(int group, Guid user) => _groups.GetValueOrDefault(group)?.Remove(user);

    public bool IsMember(int group, Guid user) => _groups.GetValueOrDefault(group)?.Contains(user) == true;

    public IReadOnlyCollection<Guid> Members(int group) => _groups.TryGetValue(group, out var members) ? members : [];

    public void Add(ModelGrant grant) => _grants.Add(grant);

    public void Remove(long grantId) => _grants.RemoveAll(g => g.GrantId == grantId);

    public void Change(long grantId, ModelBits bits, bool deny)
    {
        var index = _grants.FindIndex(g => g.GrantId == grantId);
        _grants[index] = _grants[index] with { Bits = bits, Deny = deny };
    }

    public ModelBits Evaluate(ModelTree tree, Guid user, long entryId)
    {
        if (_admins.Contains(user))
        {
            return ModelBits.All;
        }

        var entry = tree.Find(entryId);
        var start = entry is null ? null : entry.IsFolder ? entry : tree.Parent(entry);
        var granted = ModelBits.None;
        foreach (var bit in EachBit)
        {
            // Up the parent ids; the bound only guards against a cycle, which a catalog never has.
            var folder = start;
            for (var depth = 0; folder is not null && depth < 1000; depth++)
            {
                var id = folder.Id;
                var here = _grants.Where(g => g.FolderId == id && (g.Bits & bit) != 0 && Applies(g, user)).ToList();
                if (here.Count > 0)
                {
                    if (here.TrueForAll(g => !g.Deny))
                    {
                        granted |= bit;
                    }

                    break;
                }

                folder = tree.Parent(folder);
            }
        }

        return granted;
    }

    public bool Has(ModelTree tree, Guid user, long entryId, ModelBits bits) => (Evaluate(tree, user, entryId) & bits) == bits;

    public bool CanRead(ModelTree tree, Guid user, long entryId) => Has(tree, user, entryId, ModelBits.Read);

    private bool Applies(ModelGrant grant, Guid user) =>
        grant.UserId == user || (grant.GroupId is { } group && IsMember(group, user));
}

/// <summary>
/// What each operation needs, by the model; each rule answers null when the operation is allowed, else why not. An
/// allowed operation may still fail for other reasons (a name taken, a move into itself); a forbidden one must be refused.
/// </summary>
internal static class ModelRules
{
    public const string Ask = "ask", Skip = "skip", KeepBoth = "keepBoth", Replace = "replace";

    public static string? NewFolder(AccessModel model, ModelTree tree, Guid user, ModelEntry parent) =>
        !parent.IsFolder ? $"{Show(parent)} is not a folder"
        : model.Has(tree, user, parent.Id, ModelBits.Write) ? null
        : $"no Write on {Show(parent)}";

    /// <summary>
    /// Read on the entry and Write on its folder (README's table): a renamed folder takes its grants along, so nothing
    /// below it changes hands.
    /// </summary>
    public static string? Rename(AccessModel model, ModelTree tree, Guid user, ModelEntry entry)
    {
        if (tree.Parent(entry) is not { } parent)
        {
            return "the root cannot be renamed";
        }

        return !model.CanRead(tree, user, entry.Id) ? $"cannot read {Show(entry)}"
            : !model.Has(tree, user, parent.Id, ModelBits.Write) ? $"no Write on {Show(parent)}"
            : null;
    }

    /// <summary>
    /// Read on each source, Delete on it and on every folder below it (the whole subtree leaves its folder, its grants
    /// along), Write on the destination, and what replacing takes (README's table).
    /// </summary>
    public static string? Move(AccessModel model, ModelTree tree, Guid user, IReadOnlyList<ModelEntry> sources, ModelEntry destination, string conflict)
    {
        foreach (var source in sources)
        {
            if (source.IsRoot)
            {
                return "the root cannot be moved";
            }

            if (!model.CanRead(tree, user, source.Id))
            {
                return $"cannot read {Show(source)}";
            }

            if (Lacking(model, tree, user, source, ModelBits.Delete) is { } folder)
            {
                return $"no Delete on {Show(folder)}";
            }
        }

        return !model.Has(tree, user, destination.Id, ModelBits.Write) ? $"no Write on {Show(destination)}"
            : Replacing(model, tree, user, sources, destination, conflict, moving: true);
    }

    /// <summary>Read on each source (what is unreadable below it is left out), Write on the destination, and what replacing takes.</summary>
    public static string? Copy(AccessModel model, ModelTree tree, Guid user, IReadOnlyList<ModelEntry> sources, ModelEntry destination, string conflict)
    {
        foreach (var source in sources)
        {
            if (source.IsRoot)
            {
                return "the root cannot be copied";
            }

            if (!model.CanRead(tree, user, source.Id))
            {
                return $"cannot read {Show(source)}";
            }
        }

        return !model.Has(tree, user, destination.Id, ModelBits.Write) ? $"no Write on {Show(destination)}"
            : Replacing(model, tree, user, sources, destination, conflict, moving: false);
    }

    /// <summary>Read on each entry, Delete on it and on every folder below it.</summary>
    public static string? Delete(AccessModel model, ModelTree tree, Guid user, IReadOnlyList<ModelEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.IsRoot)
            {
                return "the root cannot be deleted";
            }

            if (!model.CanRead(tree, user, entry.Id))
            {
                return $"cannot read {Show(entry)}";
            }

            if (Lacking(model, tree, user, entry, ModelBits.Delete) is { } folder)
            {
                return $"no Delete on {Show(folder)}";
            }
        }

        return null;
    }

    /// <summary>One's own item (admins: anyone's), Write on the folder it goes back to, and what replacing takes.</summary>
    public static string? Restore(AccessModel model, ModelTree tree, Guid user, ModelTrashItem item, string conflict)
    {
        if (item.DeletedById != user && !model.IsAdmin(user))
        {
            return "another user's trash item";
        }

        var (folder, exact) = tree.RestoreFolder(item.OriginalPath);
        if (!model.Has(tree, user, folder.Id, ModelBits.Write))
        {
            return $"no Write on {Show(folder)}";
        }

        var key = item.Name.ToLowerInvariant();
        if (exact && conflict == Replace && tree.ChildrenOf(folder.Id).FirstOrDefault(c => c.Key == key) is { } taken
            && Lacking(model, tree, user, taken, ModelBits.Delete) is { } blocked)
        {
            return $"replacing {Show(taken)} needs Delete on {Show(blocked)}";
        }

        return null;
    }

    /// <summary>The first of the entry and the folders below it on which the user lacks <paramref name="bits"/>.</summary>
    public static ModelEntry? Lacking(AccessModel model, ModelTree tree, Guid user, ModelEntry entry, ModelBits bits) =>
        tree.Subtree(entry).Where(e => e.Id == entry.Id || e.IsFolder).FirstOrDefault(e => !model.Has(tree, user, e.Id, bits));

    /// <summary>"a/b" → "a"; "a" → "" (the root).</summary>
    public static string ParentOf(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    public static string Show(ModelEntry entry) => entry.IsRoot ? "(root)" : entry.Trashed ? $"trashed {entry.Name}" : entry.Path;

    /// <summary>An entry already in the destination under a source's name is trashed by replace: Delete on it and below.</summary>
    private static string? Replacing(
        AccessModel model, ModelTree tree, Guid user, IReadOnlyList<ModelEntry> sources, ModelEntry destination, string conflict, bool moving)
    {
        if (conflict != Replace)
        {
            return null;
        }

        foreach (var source in sources)
        {
            if (moving && source.ParentId == destination.Id)
            {
                continue;
            }

            var taken = tree.ChildrenOf(destination.Id).FirstOrDefault(c => c.Key == source.Key && c.Id != source.Id);
            if (taken is not null && Lacking(model, tree, user, taken, ModelBits.Delete) is { } blocked)
            {
                return $"replacing {Show(taken)} needs Delete on {Show(blocked)}";
            }
        }

        return null;
    }
}

namespace FileVault.Web.Components.Pages.Files;

/// <summary>What the toolbar and the right-click menu ask of the folder page: one callback carries them all.</summary>
public enum FolderCommand
{
    Open,
    Download,
    Rename,
    BatchRename,
    Move,
    Copy,
    Compress,
    Delete,
    NewFolder,
}

/// <summary>What the user may do in the open folder and how many entries are selected: the toolbar and the menu offer their commands by it.</summary>
public sealed record FolderAbilities(bool CanWrite, bool CanDelete, int SelectionCount)
{
    public bool CanBatchRename => CanWrite && SelectionCount > 1;
}

/// <summary>The open folder, as the operations need it: where it is, its id, and its name (a root's top folder has the root's name).</summary>
public sealed record OpenFolder(int RootId, string Path, long Id, string Name);

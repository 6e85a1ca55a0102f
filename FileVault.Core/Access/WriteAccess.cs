
namespace FileVault.Core.Access;

/// <summary>
/// What each file operation needs of the acting user, for everything it touches, asked the same way when the
/// operation is requested and again by its job before each step (an admin may have revoked a grant meanwhile).
/// Each check answers null when allowed, or the error to give; none of them names an entry the user cannot read.
/// </summary>
/// <remarks>
/// The rules, by what an operation does to an entry:
/// <list type="bullet">
/// <item>reads it (copy source, compress source): Read on it; the folders below it the user cannot read are left out;</item>
/// <item>adds into a folder (new folder, upload, move or copy destination, restore, archive): Write on the folder;</item>
/// <item>takes it away from where it is (move source, delete to trash): Delete on it and on every folder below it,
/// since the whole subtree goes along;</item>
/// <item>replaces it (the "replace" answer to a name conflict): Read on it, and Delete on it and every folder below it.
/// Otherwise the conflict stays a conflict; one the user cannot read is only "unavailable".</item>
/// </list>
/// </remarks>
public sealed class WriteAccess(AccessEvaluator access)
{
    public async Task<Error?> ToReadAsync(AccessSubject actor, int rootId, string path, CancellationToken cancellationToken) =>
        await access.CanReadAsync(actor, rootId, path, cancellationToken) ? null : new Error("entry.not_found", "Some of the items no longer exist.");

    public async Task<Error?> ToAddIntoAsync(AccessSubject actor, int rootId, string folder, CancellationToken cancellationToken) =>
        await access.CanWriteAsync(actor, rootId, folder, cancellationToken) ? null : new Error("auth.forbidden", "You may not add to the destination folder.");

    public async Task<Error?> ToTakeAwayAsync(AccessSubject actor, int rootId, string path, string name, CancellationToken cancellationToken) =>
        await access.HoldsOnSubtreeAsync(actor, rootId, path, Permission.Delete, cancellationToken)
            ? null
            : new Error("auth.forbidden", $"You may not remove \"{name}\" from its folder (or something inside it).");

    public async Task<Error?> ToReplaceAsync(AccessSubject actor, int rootId, string path, string name, CancellationToken cancellationToken)
    {
        if (!await access.CanReadAsync(actor, rootId, path, cancellationToken))
        {
            return Unavailable(name);
        }

        return await access.HoldsOnSubtreeAsync(actor, rootId, path, Permission.Delete, cancellationToken)
            ? null
            : new Error("name.conflict", $"\"{name}\" cannot be replaced: you may not delete it (or something inside it). Choose skip or keep both.");
    }

    /// <summary>The folders below <paramref name="path"/> that a copy or an archive of it leaves out.</summary>
    public Task<IReadOnlyList<string>> UnreadableBelowAsync(AccessSubject actor, int rootId, string path, CancellationToken cancellationToken) =>
        access.UnreadableBelowAsync(actor, rootId, path, cancellationToken);

    public Task<bool> CanReadAsync(AccessSubject actor, int rootId, string path, CancellationToken cancellationToken) =>
        access.CanReadAsync(actor, rootId, path, cancellationToken);

    /// <summary>
    /// The conflict for a new name (new folder, rename, upload) that the sibling at <paramref name="takenPath"/> holds:
    /// "already exists" when the user may read it, else only that the name is unavailable here.
    /// </summary>
    public async Task<Error> NameTakenAsync(AccessSubject actor, int rootId, string takenPath, string name, CancellationToken cancellationToken) =>
        await access.CanReadAsync(actor, rootId, takenPath, cancellationToken)
            ? new Error("name.conflict", $"\"{name}\" already exists in this folder.")
            : new Error("name.conflict", $"The name \"{name}\" is unavailable in this folder.");

    /// <summary>A conflict with an entry the user cannot read: says that the name is taken, and nothing else about it.</summary>
    public static Error Unavailable(string name) =>
        new("name.conflict", $"The name \"{name}\" is unavailable in the destination. Choose skip or keep both.");
}

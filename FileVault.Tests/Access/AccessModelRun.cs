using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FileVault.Tests.Access;

/// <summary>How long and from where the model test runs: environment variables, or defaults that fit the suite's time.</summary>
internal sealed record ModelRunSettings(int Seed, int Steps, TimeSpan Budget, int FullCheckEvery, bool KeepGoing)
{
    public const int DefaultSeed = 1106;
    public const int DefaultSteps = 3000;

    /// <summary>
    /// A run stops after its steps or after this long, whichever comes first, so that the suite keeps its pace on a
    /// busy machine; the steps it ran are a prefix of the seed's run, and the output says how many.
    /// </summary>
    public const int DefaultSeconds = 150;

    public static ModelRunSettings FromEnvironment() => new(
        Number("FILEVAULT_MODEL_SEED") ?? DefaultSeed,
        Number("FILEVAULT_MODEL_STEPS") ?? DefaultSteps,
        TimeSpan.FromSeconds(Number("FILEVAULT_MODEL_SECONDS") ?? DefaultSeconds),
        Math.Max(1, Number("FILEVAULT_MODEL_FULL_CHECK_EVERY") ?? 100),
        Environment.GetEnvironmentVariable("FILEVAULT_MODEL_KEEP_GOING") == "1");

    private static int? Number(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>One broken invariant: its name, the step, what happened, and the steps that led there.</summary>
internal sealed record ModelViolation(string Invariant, int Step, string Detail, IReadOnlyList<string> Steps)
{
    public int Count { get; set; } = 1;
}

/// <summary>
/// Drives the app with random steps of random users and checks every answer, and the disk and the catalog after every
/// change, against <see cref="AccessModel"/>. Every random choice is made over lists ordered by path, so a seed replays
/// the same run.
/// </summary>
internal sealed class AccessModelRun(AccessModelApp app, ModelRunSettings settings)
{
    private const int StepsShown = 30;
    private const int MaxEntries = 400;
    private const int MinEntries = 12;
    private static readonly ModelBits[] EachBit = [ModelBits.Read, ModelBits.Write, ModelBits.Delete];

    private readonly Random _random = new(settings.Seed);
    private readonly AccessModel _model = new();
    private readonly List<string> _log = [];
    private readonly List<ModelViolation> _violations = [];
    // Who could read an entry at the moment it went to the trash; in the trash it shows to them, and to whoever may
    // read it now where it was.
    private readonly Dictionary<long, HashSet<Guid>> _readersWhenTrashed = [];
    private readonly Dictionary<string, (int Count, TimeSpan Time)> _timings = new(StringComparer.Ordinal);
    private ModelTree _tree = default!;
    private StateSnapshot? _state;
    private int _step;
    // Changes the model allowed (and of those, the ones the app carried out), and changes it forbade.
    private int _allowed, _succeeded, _forbidden;

    private IReadOnlyList<ModelUser> Users => app.Users;

    public int StepsRun { get; private set; }

    /// <summary>Runs every step; null when nothing broke, else the report to fail with.</summary>
    public async Task<string?> RunAsync()
    {
        _model.AddAdmin(app.Admin.Id);
        await SetMembershipAsync(Users[0], member: true);
        await SetMembershipAsync(Users[1], member: true);
        _tree = await app.ReadTreeAsync();
        await GrantInitiallyAsync();
        var started = Stopwatch.GetTimestamp();
        for (_step = 1; _step <= settings.Steps && (settings.KeepGoing || _violations.Count == 0); _step++)
        {
            if (Stopwatch.GetElapsedTime(started) > settings.Budget)
            {
                break;
            }

            StepsRun = _step;
            await StepAsync();
            if (_step % settings.FullCheckEvery == 0)
            {
                await TimeAsync("full check", () => FullCheckAsync(withAdmin: false));
            }
        }

        _step = StepsRun;
        if (_violations.Count == 0)
        {
            await FullCheckAsync(withAdmin: true);
        }

        return _violations.Count == 0 ? null : Report();
    }

    private async Task StepAsync()
    {
        var actor = Users[_random.Next(Users.Count)];
        var roll = _random.Next(100);
        if (_tree.Active.Count < MinEntries && roll is >= 37 and < 76)
        {
            // Little is left to rename, move, copy or delete: bring something back instead.
            roll = 80;
        }

        var (kind, step) = roll switch
        {
            < 12 => ("list", (Func<Task>)(() => ListAsync(actor))),
            < 19 => ("details", () => DetailsAsync(actor)),
            < 25 => ("search", () => SearchAsync(actor)),
            < 31 => ("download", () => DownloadAsync(actor)),
            < 37 => ("new folder", () => NewFolderAsync(actor)),
            < 45 => ("rename", () => RenameAsync(actor)),
            < 56 => ("move", () => MoveAsync(actor)),
            < 68 => ("copy", () => CopyAsync(actor)),
            < 76 => ("delete", () => DeleteAsync(actor)),
            < 80 => ("trash", () => TrashListAsync(actor)),
            < 89 => ("restore", () => RestoreAsync(actor)),
            _ => ("grants", ChangeGrantsAsync),
        };
        await TimeAsync(kind, step);
    }

    private async Task TimeAsync(string kind, Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        var (count, time) = _timings.GetValueOrDefault(kind);
        _timings[kind] = (count + 1, time + Stopwatch.GetElapsedTime(started));
    }

    public string Summary => $"seed {settings.Seed}: {StepsRun} of {settings.Steps} steps; changes the model allowed {_allowed} "
        + $"({_succeeded} carried out), forbade {_forbidden}; time per step: {Timings}";

    /// <summary>How many steps of each kind ran and how long they took on average.</summary>
    public string Timings => string.Join(", ", _timings.OrderByDescending(t => t.Value.Time)
        .Select(t => $"{t.Key} {t.Value.Count}× {t.Value.Time.TotalMilliseconds / t.Value.Count:F0} ms"));

    // ---- reads ----

    private async Task ListAsync(ModelUser actor)
    {
        var folder = PickEntry(actor, e => e.IsFolder, ModelBits.Read);
        Log($"{actor.Name} lists {Show(folder)}");
        await CheckListingAsync(actor, folder);
    }

    private async Task DetailsAsync(ModelUser actor)
    {
        var entry = _random.Next(8) == 0 && _tree.Trashed.Count > 0 ? Pick(_tree.Trashed) : PickEntry(actor, _ => true, ModelBits.Read);
        Log($"{actor.Name} reads the details of {Show(entry)}");
        var (status, body) = await GetAsync(actor, $"/api/v1/entries/{entry.Id}");
        Note($"→ {status}");
        CheckRead(actor, entry, status, body, "details");
    }

    private async Task DownloadAsync(ModelUser actor)
    {
        var trashedFiles = _tree.Trashed.Where(e => !e.IsFolder).ToList();
        if (!_tree.Active.Any(e => !e.IsFolder))
        {
            await ListAsync(actor);
            return;
        }

        var file = _random.Next(8) == 0 && trashedFiles.Count > 0 ? Pick(trashedFiles) : PickEntry(actor, e => !e.IsFolder, ModelBits.Read);
        Log($"{actor.Name} downloads {Show(file)}");
        using var response = await actor.Client.GetAsync($"/api/v1/entries/{file.Id}/content");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var status = (int)response.StatusCode;
        Note($"→ {status}, {bytes.Length} bytes");
        CheckRead(actor, file, status, Encoding.UTF8.GetString(bytes), "download");
        if (status == 200 && !file.Trashed && bytes.Length != file.Size)
        {
            Violate("download.bytes", $"{actor.Name} downloaded {bytes.Length} bytes of {Show(file)}, which has {file.Size}");
        }
    }

    private async Task SearchAsync(ModelUser actor)
    {
        var word = SearchWord();
        Log($"{actor.Name} searches \"{word}\"");
        await CheckSearchAsync(actor, word);
    }

    private async Task TrashListAsync(ModelUser actor)
    {
        Log($"{actor.Name} lists their trash");
        await CheckTrashAsync(actor);
    }

    // ---- changes ----

    private async Task NewFolderAsync(ModelUser actor)
    {
        if (_tree.Active.Count > MaxEntries)
        {
            await DeleteAsync(actor);
            return;
        }

        var parent = PickEntry(actor, e => e.IsFolder, ModelBits.Write);
        var name = NewName("n", "");
        var forbidden = ModelRules.NewFolder(_model, _tree, actor.Id, parent);
        var outcome = await ChangeAsync(actor, $"makes folder \"{name}\" in {Show(parent)}", forbidden,
            () => actor.Client.PostAsJsonAsync("/api/v1/folders", new { parentId = parent.Id, name }));
        CheckConflictAnswer(actor, outcome, parent, [name]);
        await CheckViewsAsync(actor, parent.Id);
    }

    private async Task RenameAsync(ModelUser actor)
    {
        var entry = PickEntry(actor, e => !e.IsRoot, ModelBits.Read | ModelBits.Delete);
        var name = NewName("r", entry.IsFolder ? "" : ".txt");
        if (name == entry.Name)
        {
            // Renaming to the same name changes nothing and is answered as done, whoever asks.
            name = $"r{_step}";
        }

        var forbidden = ModelRules.Rename(_model, _tree, actor.Id, entry);
        var outcome = await ChangeAsync(actor, $"renames {Show(entry)}{Size(entry)} to \"{name}\"", forbidden,
            () => actor.Client.PostAsJsonAsync($"/api/v1/entries/{entry.Id}/rename", new { name }));
        if (_tree.Parent(entry) is { } parent)
        {
            CheckConflictAnswer(actor, outcome, parent, [name]);
        }

        await CheckViewsAsync(actor, entry.IsFolder ? entry.Id : entry.ParentId ?? 0);
        await CheckDetailsAsync(actor, entry.Id);
    }

    private async Task MoveAsync(ModelUser actor)
    {
        var sources = PickSources(actor, ModelBits.Read | ModelBits.Delete, filesOnly: false);
        var destination = PickEntry(actor, e => e.IsFolder, ModelBits.Write);
        var conflict = PickConflict();
        var forbidden = ModelRules.Move(_model, _tree, actor.Id, sources, destination, conflict);
        var outcome = await ChangeAsync(actor, $"moves {Show(sources)} into {Show(destination)}, conflict {conflict}", forbidden,
            () => actor.Client.PostAsJsonAsync("/api/v1/operations/move",
                new { entryIds = sources.Select(s => s.Id).ToArray(), destinationId = destination.Id, conflict }));
        CheckConflictAnswer(actor, outcome, destination, sources.Select(s => s.Name));
        await CheckViewsAsync(actor, [destination.Id, .. sources.Select(s => s.ParentId ?? 0)]);
        await CheckDetailsAsync(actor, sources[0].Id);
    }

    private async Task CopyAsync(ModelUser actor)
    {
        var sources = PickSources(actor, ModelBits.Read, filesOnly: _tree.Active.Count > MaxEntries);
        var destination = PickEntry(actor, e => e.IsFolder, ModelBits.Write);
        var conflict = PickConflict();
        var forbidden = ModelRules.Copy(_model, _tree, actor.Id, sources, destination, conflict);
        var outcome = await ChangeAsync(actor, $"copies {Show(sources)} into {Show(destination)}, conflict {conflict}", forbidden,
            () => actor.Client.PostAsJsonAsync("/api/v1/operations/copy",
                new { entryIds = sources.Select(s => s.Id).ToArray(), destinationId = destination.Id, conflict }));
        CheckConflictAnswer(actor, outcome, destination, sources.Select(s => s.Name));
        CheckCopy(actor, outcome.Before, sources, destination);
        await CheckViewsAsync(actor, destination.Id);
    }

    private async Task DeleteAsync(ModelUser actor)
    {
        var entries = PickSources(actor, ModelBits.Read | ModelBits.Delete, filesOnly: false);
        var forbidden = ModelRules.Delete(_model, _tree, actor.Id, entries);
        await ChangeAsync(actor, $"deletes {Show(entries)}", forbidden,
            () => actor.Client.PostAsJsonAsync("/api/v1/operations/delete", new { entryIds = entries.Select(s => s.Id).ToArray() }));
        await CheckViewsAsync(actor, [.. entries.Select(s => s.ParentId ?? 0)]);
    }

    private async Task RestoreAsync(ModelUser actor)
    {
        var trash = (await app.TrashItemsAsync()).OrderBy(t => t.OriginalPath, StringComparer.Ordinal).ThenBy(t => t.Id).ToList();
        var own = trash.Where(t => t.DeletedById == actor.Id).ToList();
        // Now and then someone else's item: it must not be found.
        var candidates = own.Count > 0 && _random.Next(10) > 0 ? own : trash;
        if (candidates.Count == 0)
        {
            await NewFolderAsync(actor);
            return;
        }

        var item = Pick(candidates);
        var conflict = PickConflict();
        var (folder, exact) = _tree.RestoreFolder(item.OriginalPath);
        var forbidden = ModelRules.Restore(_model, _tree, actor.Id, item, conflict);
        var owner = Users.FirstOrDefault(u => u.Id == item.DeletedById)?.Name ?? "someone";
        var outcome = await ChangeAsync(actor, $"restores {owner}'s {item.OriginalPath} (trash {item.Id}), conflict {conflict}", forbidden,
            () => actor.Client.PostAsJsonAsync("/api/v1/trash/restore", new { trashIds = new[] { item.Id }, conflict }));
        if (exact)
        {
            CheckConflictAnswer(actor, outcome, folder, [item.Name]);
        }

        await CheckViewsAsync(actor, folder.Id, _tree.AtPath(ModelRules.ParentOf(item.OriginalPath))?.Id ?? 0);
    }

    // ---- grants ----

    /// <summary>Each user gets all three permissions on one top folder, then a dozen random grants to users and the group.</summary>
    private async Task GrantInitiallyAsync()
    {
        _step = 0;
        var tops = _tree.ChildrenOf(_tree.Root.Id).Where(e => e.IsFolder).ToList();
        foreach (var user in Users)
        {
            await CreateGrantAsync(Pick(tops), user.Id, null, ModelBits.All, deny: false);
        }

        // The group shares the whole root, as a company share would; the random grants below carve it up.
        await CreateGrantAsync(_tree.Root, null, app.GroupId, ModelBits.Read | ModelBits.Write, deny: false);
        for (var i = 0; i < 16; i++)
        {
            await CreateRandomGrantAsync();
        }
    }

    private async Task ChangeGrantsAsync()
    {
        var roll = _random.Next(20);
        var grants = _model.Grants.OrderBy(g => g.GrantId).ToList();
        if (roll < 11 || grants.Count == 0)
        {
            await CreateRandomGrantAsync();
        }
        else if (roll < 15)
        {
            var grant = Pick(grants);
            // Mostly the same effect: turning an allow into a deny collides with a deny already there.
            await ChangeGrantAsync(grant, RandomBits(), _random.Next(10) == 0 ? !grant.Deny : grant.Deny);
        }
        else if (roll < 19)
        {
            var grant = Pick(grants);
            Log($"admin deletes grant {grant.GrantId} ({ShowGrant(grant)})");
            using var response = await app.Admin.Client.DeleteAsync($"/api/v1/admin/grants/{grant.GrantId}");
            Note($"→ {(int)response.StatusCode}");
            if (response.IsSuccessStatusCode)
            {
                _model.Remove(grant.GrantId);
                await CheckGrantedAsync(grant);
            }
        }
        else
        {
            var user = Users[2];
            await SetMembershipAsync(user, !_model.IsMember(app.GroupId, user.Id));
        }
    }

    private async Task CreateRandomGrantAsync()
    {
        var folder = Pick(_tree.Folders.ToList());
        var principal = _random.Next(Users.Count + 1);
        Guid? userId = principal < Users.Count ? Users[principal].Id : null;
        int? groupId = principal < Users.Count ? null : app.GroupId;
        var (bits, deny) = (RandomBits(), _random.Next(20) < 7);
        // One allow and one deny per principal and folder: a second one changes the first.
        if (_model.Grants.FirstOrDefault(g => g.FolderId == folder.Id && g.UserId == userId && g.GroupId == groupId && g.Deny == deny) is { } existing)
        {
            await ChangeGrantAsync(existing, bits, deny);
            return;
        }

        await CreateGrantAsync(folder, userId, groupId, bits, deny);
    }

    private async Task ChangeGrantAsync(ModelGrant grant, ModelBits bits, bool deny)
    {
        Log($"admin changes grant {grant.GrantId} ({ShowGrant(grant)}) to {(deny ? "deny" : "allow")} {bits}");
        using var response = await app.Admin.Client.PutAsJsonAsync($"/api/v1/admin/grants/{grant.GrantId}", new { permissions = BitsText(bits), effect = deny ? "Deny" : "Allow" });
        Note($"→ {(int)response.StatusCode} {CodeOf(await response.Content.ReadAsStringAsync())}");
        if (response.IsSuccessStatusCode)
        {
            _model.Change(grant.GrantId, bits, deny);
            await CheckGrantedAsync(grant);
        }
    }

    private async Task CreateGrantAsync(ModelEntry folder, Guid? userId, int? groupId, ModelBits bits, bool deny)
    {
        var grant = new ModelGrant(0, folder.Id, userId, groupId, bits, deny);
        Log($"admin grants {ShowGrant(grant)}");
        using var response = await app.Admin.Client.PostAsJsonAsync("/api/v1/admin/grants", new
        {
            rootId = app.RootId, relativePath = folder.Path, userId, groupId, permissions = BitsText(bits), effect = deny ? "Deny" : "Allow",
        });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            // Already such a grant there (one allow and one deny per principal and folder): nothing changed.
            Note($"→ {(int)response.StatusCode} {CodeOf(body)}");
            return;
        }

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        Note($"→ grant {id}");
        _model.Add(grant with { GrantId = id });
        await CheckGrantedAsync(grant);
    }

    private async Task SetMembershipAsync(ModelUser user, bool member)
    {
        Log($"admin {(member ? "adds" : "removes")} {user.Name} {(member ? "to" : "from")} the group");
        var url = $"/api/v1/admin/groups/{app.GroupId}/members/{user.Id}";
        using var response = member ? await app.Admin.Client.PutAsync(url, null) : await app.Admin.Client.DeleteAsync(url);
        Note($"→ {(int)response.StatusCode}");
        if (!response.IsSuccessStatusCode)
        {
            return;
        }

        if (member)
        {
            _model.AddMember(app.GroupId, user.Id);
        }
        else
        {
            _model.RemoveMember(app.GroupId, user.Id);
        }
    }

    /// <summary>After a grant changed: its folder as each user it concerns sees it.</summary>
    private async Task CheckGrantedAsync(ModelGrant grant)
    {
        if (_tree.FindActive(grant.FolderId) is not { } folder)
        {
            return;
        }

        foreach (var user in Users.Where(u => u.Id == grant.UserId || (grant.GroupId is { } g && _model.IsMember(g, u.Id))))
        {
            await CheckListingAsync(user, folder);
        }
    }

    // ---- the write path ----

    private sealed record ChangeOutcome(int Status, string Body, ModelTree Before);

    /// <summary>
    /// Sends a change and waits for its jobs; then: a forbidden change was refused with a code and changed nothing, no
    /// answer was a server error, and the disk and the catalog agree.
    /// </summary>
    private async Task<ChangeOutcome> ChangeAsync(ModelUser actor, string description, string? forbidden, Func<Task<HttpResponseMessage>> send)
    {
        var before = _tree;
        // Reads and grant changes leave the disk, the catalog and the trash alone: the last change's snapshot still holds.
        var beforeState = _state ??= await app.SnapshotAsync(before);
        Log($"{actor.Name} {description} | model: {forbidden ?? "allowed"}");
        HttpResponseMessage response = default!;
        await TimeAsync("· send", async () => response = await send());
        using var disposeResponse = response;
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var jobs = "";
        await TimeAsync("· jobs", async () => jobs = await app.WaitForJobsAsync(JobIds(status, body)));
        await TimeAsync("· tree", async () => _tree = await app.ReadTreeAsync());
        StateSnapshot afterState = default!;
        await TimeAsync("· snapshot", async () => afterState = await app.SnapshotAsync(_tree));
        _state = afterState;
        Note($"→ {status}{(CodeOf(body) is { } code ? " " + code : "")}{(jobs.Length > 0 ? " [" + jobs + "]" : "")}");

        if (forbidden is not null)
        {
            _forbidden++;
        }
        else
        {
            _allowed++;
            _succeeded += status < 400 && !jobs.Contains("Failed", StringComparison.Ordinal) ? 1 : 0;
        }

        if (status >= 500)
        {
            Violate("server.error", $"{actor.Name} {description}: {status} {Shorten(body)}");
        }

        if (forbidden is not null)
        {
            // One report per kind of change and reason, so that a run that keeps going shows each hole once.
            var what = description.Split(' ')[0] + (forbidden.StartsWith("replacing", StringComparison.Ordinal) ? ", replacing" : "");
            var changes = Differences(beforeState, afterState);
            if (changes is not null)
            {
                Violate($"forbidden.carried_out: {what}", $"{actor.Name} {description}: the model forbids it ({forbidden}), yet the app answered {status} "
                    + $"{(jobs.Length > 0 ? "[" + jobs + "] " : "")}and changed {changes}");
            }
            else if (status < 400)
            {
                Violate($"forbidden.accepted: {what}", $"{actor.Name} {description}: the model forbids it ({forbidden}), yet the app answered {status} "
                    + $"(changing nothing{(jobs.Length > 0 ? ": " + jobs : "")})");
            }
            else if (CodeOf(body) is null)
            {
                Violate("refusal.without_code", $"{actor.Name} {description}: refused with {status} but no ProblemDetails code: {Shorten(body)}");
            }
        }

        if (afterState.Disk != afterState.Catalog)
        {
            Violate("disk_catalog.disagree", $"after {actor.Name} {description}: disk vs catalog {LineDifferences(afterState.Catalog, afterState.Disk)}");
        }

        RecordTrashed(before);
        return new ChangeOutcome(status, body, before);
    }

    /// <summary>Entries that went to the trash in this step keep who could read them then.</summary>
    private void RecordTrashed(ModelTree before)
    {
        foreach (var entry in before.Active)
        {
            if (_tree.Find(entry.Id) is { Trashed: true })
            {
                _readersWhenTrashed[entry.Id] = Users.Select(u => u.Id).Append(app.Admin.Id).Where(u => _model.CanRead(before, u, entry.Id)).ToHashSet();
            }
        }
    }

    // ---- checks ----

    /// <summary>A folder's listing: 404 unless the user may read it, then exactly its children the user may read.</summary>
    private async Task CheckListingAsync(ModelUser user, ModelEntry folder)
    {
        var (status, body) = await GetAsync(user, $"/api/v1/entries/{folder.Id}/children?pageSize=1000");
        var readable = _model.CanRead(_tree, user.Id, folder.Id);
        if (!readable)
        {
            if (status != 404)
            {
                Violate("listing.unreadable_folder", $"{user.Name} listed {Show(folder)}, which they may not read: {status} {Shorten(body)}");
            }

            return;
        }

        if (status != 200)
        {
            Violate("listing.readable_folder_refused", $"{user.Name} may read {Show(folder)} but listing it answered {status} {Shorten(body)}");
            return;
        }

        var items = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray()
            .Select(i => (Id: i.GetProperty("id").GetInt64(), Name: i.GetProperty("name").GetString())).ToList();
        foreach (var (id, name) in items)
        {
            if (_tree.FindActive(id) is not { } child || child.ParentId != folder.Id)
            {
                Violate("listing.foreign_entry", $"{user.Name}'s listing of {Show(folder)} holds \"{name}\" (id {id}), which is not one of its children");
            }
            else if (!_model.CanRead(_tree, user.Id, id))
            {
                Violate("listing.leak", $"{user.Name}'s listing of {Show(folder)} shows {Show(child)}, which the model says they may not read"
                    + Explain(user, child));
            }
        }

        var listed = items.Select(i => i.Id).ToHashSet();
        var missing = _tree.ChildrenOf(folder.Id).Where(c => !listed.Contains(c.Id) && _model.CanRead(_tree, user.Id, c.Id)).ToList();
        if (missing.Count > 0)
        {
            Violate("listing.missing", $"{user.Name}'s listing of {Show(folder)} leaves out {string.Join(", ", missing.Select(Show))}, "
                + "which the model says they may read" + Explain(user, missing[0]));
        }
    }

    private async Task CheckViewsAsync(ModelUser user, params long[] folderIds)
    {
        foreach (var id in folderIds.Distinct())
        {
            if (_tree.FindActive(id) is { IsFolder: true } folder)
            {
                await CheckListingAsync(user, folder);
            }
        }
    }

    private async Task CheckDetailsAsync(ModelUser user, long id)
    {
        if (_tree.Find(id) is not { } entry)
        {
            return;
        }

        var (status, body) = await GetAsync(user, $"/api/v1/entries/{id}");
        CheckRead(user, entry, status, body, "details");
    }

    /// <summary>
    /// Details or content: of an entry in the tree, 200 when the model lets the user read it and 404 otherwise; of a
    /// trashed one, never to someone who could not read it when it was deleted.
    /// </summary>
    private void CheckRead(ModelUser user, ModelEntry entry, int status, string body, string what)
    {
        if (entry.Trashed)
        {
            if (status == 200 && !MayReadTrashed(user, entry.Id))
            {
                Violate($"{what}.trashed_leak", $"{user.Name} got the {what} of {entry.Path} (id {entry.Id}) in the trash, which they could not read "
                    + "when it was deleted and could not read now where it was" + Explain(user, entry));
            }

            return;
        }

        var readable = _model.CanRead(_tree, user.Id, entry.Id);
        if (!readable && status != 404)
        {
            Violate($"{what}.leak", $"{user.Name} got the {what} of {Show(entry)} ({status}), which the model says they may not read" + Explain(user, entry));
        }
        else if (readable && status != 200)
        {
            Violate($"{what}.refused", $"{user.Name} may read {Show(entry)} but its {what} answered {status} {Shorten(body)}" + Explain(user, entry));
        }
    }

    /// <summary>Search finds exactly the active entries (not the root) whose name holds the word and the user may read; the total counts only those.</summary>
    private async Task CheckSearchAsync(ModelUser user, string word)
    {
        var (status, body) = await GetAsync(user, $"/api/v1/search?q={Uri.EscapeDataString(word)}&pageSize=200");
        if (status != 200)
        {
            Violate("search.refused", $"{user.Name}'s search for \"{word}\" answered {status} {Shorten(body)}");
            return;
        }

        var results = JsonDocument.Parse(body).RootElement;
        var ids = results.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
        var total = results.GetProperty("total").GetInt32();
        Note($"→ {ids.Count} found, total {total}");
        foreach (var id in ids)
        {
            if (_tree.FindActive(id) is not { } entry)
            {
                Violate("search.leak", $"{user.Name}'s search for \"{word}\" found entry {id}, which is not in the tree"
                    + (_tree.Find(id) is { } trashed ? $" ({trashed.Path})" : ""));
            }
            else if (!_model.CanRead(_tree, user.Id, id))
            {
                Violate("search.leak", $"{user.Name}'s search for \"{word}\" found {Show(entry)}, which the model says they may not read" + Explain(user, entry));
            }
        }

        var expected = _tree.Active.Where(e => !e.IsRoot && e.Key.Contains(word, StringComparison.Ordinal) && _model.CanRead(_tree, user.Id, e.Id)).ToList();
        if (expected.Count <= 200)
        {
            var found = ids.ToHashSet();
            var missing = expected.Where(e => !found.Contains(e.Id)).ToList();
            if (missing.Count > 0)
            {
                Violate("search.missing", $"{user.Name}'s search for \"{word}\" leaves out {string.Join(", ", missing.Take(5).Select(Show))}, which the model says they may read");
            }

            if (total != expected.Count)
            {
                Violate("search.count", $"{user.Name}'s search for \"{word}\" counts {total}, but {expected.Count} matches are readable to them");
            }
        }
    }

    /// <summary>The trash shows a user only what they deleted and could read when they deleted it.</summary>
    private async Task CheckTrashAsync(ModelUser user)
    {
        var (status, body) = await GetAsync(user, "/api/v1/trash");
        if (status != 200)
        {
            Violate("trash.refused", $"{user.Name}'s trash answered {status} {Shorten(body)}");
            return;
        }

        var trash = (await app.TrashItemsAsync()).ToDictionary(t => t.Id);
        var shown = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
        Note($"→ {shown.Count} items");
        foreach (var id in shown)
        {
            if (!trash.TryGetValue(id, out var item))
            {
                continue;
            }

            if (_model.IsAdmin(user.Id))
            {
                continue;
            }

            if (item.DeletedById != user.Id)
            {
                Violate("trash.others", $"{user.Name}'s trash shows {item.OriginalPath} (trash {id}), which someone else deleted");
            }
            else if (!MayReadTrashed(user, item.EntryId))
            {
                Violate("trash.leak", $"{user.Name}'s trash shows {item.OriginalPath} (trash {id}), which they could not read when it went to the trash "
                    + "and could not read now where it was" + (_tree.Find(item.EntryId) is { } entry ? Explain(user, entry) : ""));
            }
        }
    }

    /// <summary>
    /// Whether a user may see a trashed entry: they could read it when it was deleted, or could read it now where it
    /// was (a trashed entry's parent id is still the folder it was deleted from, and its grants went with it).
    /// </summary>
    private bool MayReadTrashed(ModelUser user, long entryId) =>
        _readersWhenTrashed.GetValueOrDefault(entryId, []).Contains(user.Id) || _model.CanRead(_tree, user.Id, entryId);

    /// <summary>
    /// A refusal over a name conflict tells nothing about an entry the actor cannot read beyond "this name is
    /// unavailable": the name is the actor's own choice (a source's name, a new name), so it may be quoted and listed as
    /// taken, but never as an entry that "already exists" or is "already in the destination".
    /// </summary>
    private void CheckConflictAnswer(ModelUser actor, ChangeOutcome outcome, ModelEntry folder, IEnumerable<string> names)
    {
        if (outcome.Status < 400 || outcome.Before.FindActive(folder.Id) is null)
        {
            return;
        }

        // What the answer says in words: its detail, where names are quoted, and the names it lists (not its trace id,
        // whose hex digits can spell a short name).
        var (detail, _) = ProblemText(outcome.Body);
        var keys = names.Select(n => n.ToLowerInvariant()).ToHashSet();
        foreach (var hidden in outcome.Before.ChildrenOf(folder.Id).Where(c => keys.Contains(c.Key) && !_model.CanRead(outcome.Before, actor.Id, c.Id)))
        {
            if (SaysItExists(detail, hidden.Name))
            {
                Violate("conflict.names_unreadable", $"{actor.Name} was told about {Show(hidden)}, which they may not read: {outcome.Status} {Shorten(outcome.Body)}");
            }
        }
    }

    private static bool SaysItExists(string detail, string name)
    {
        var quoted = $"\"{name}\"";
        if (detail.Contains(quoted + " already exists", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var already = detail.IndexOf("Already in the destination:", StringComparison.OrdinalIgnoreCase);
        if (already < 0)
        {
            return false;
        }

        var end = detail.IndexOf(". ", already, StringComparison.Ordinal);
        var clause = end < 0 ? detail[already..] : detail[already..end];
        return clause.Contains(quoted, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Every entry a copy made is a copy of an entry the actor could read: a new entry in the destination (its name
    /// the source's, maybe with " (1)") mirrors its source's subtree, path for path.
    /// </summary>
    private void CheckCopy(ModelUser actor, ModelTree before, IReadOnlyList<ModelEntry> sources, ModelEntry destination)
    {
        foreach (var top in _tree.ChildrenOf(destination.Id).Where(c => before.Find(c.Id) is null))
        {
            var problems = sources.Where(s => Token(s.Name) == Token(top.Name)).Select(s => CopyProblem(actor, before, s, top)).ToList();
            if (problems.Count == 0)
            {
                Violate("copy.unexpected_entry", $"{actor.Name}'s copy made {Show(top)}, which is none of its sources");
            }
            else if (problems.TrueForAll(p => p is not null))
            {
                Violate("copy.leak", $"{actor.Name}'s copy into {Show(destination)}: {problems[0]}");
            }
        }
    }

    private string? CopyProblem(ModelUser actor, ModelTree before, ModelEntry source, ModelEntry copy)
    {
        foreach (var made in _tree.Subtree(copy))
        {
            var relative = made.Path[copy.Path.Length..];
            if (before.AtPath(source.Path + relative) is not { } original)
            {
                return $"{made.Path} copies nothing under {source.Path}";
            }

            if (!_model.CanRead(before, actor.Id, original.Id))
            {
                return $"{made.Path} is a copy of {original.Path}, which {actor.Name} may not read" + Explain(actor, original, before);
            }
        }

        return null;
    }

    /// <summary>Every user (at the end the admin too, who reads everything) lists every folder, their trash, and searches once.</summary>
    private async Task FullCheckAsync(bool withAdmin)
    {
        Log($"full check: {Users.Count + (withAdmin ? 1 : 0)} users × {_tree.Folders.Count()} folders");
        foreach (var user in withAdmin ? Users.Append(app.Admin) : Users)
        {
            foreach (var folder in _tree.Folders)
            {
                await CheckListingAsync(user, folder);
            }

            await CheckTrashAsync(user);
            await CheckSearchAsync(user, SearchWord());
        }
    }

    // ---- choices ----

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>Mostly an entry the user holds <paramref name="preferred"/> on (their usual work), else any: the attacks.</summary>
    private ModelEntry PickEntry(ModelUser user, Func<ModelEntry, bool> filter, ModelBits preferred)
    {
        var all = _tree.Active.Where(filter).ToList();
        var usual = all.Where(e => _model.Has(_tree, user.Id, e.Id, preferred)).ToList();
        return usual.Count > 0 && _random.Next(10) < 7 ? Pick(usual) : Pick(all);
    }

    private List<ModelEntry> PickSources(ModelUser user, ModelBits preferred, bool filesOnly)
    {
        var first = PickEntry(user, e => !e.IsRoot && (!filesOnly || !e.IsFolder), preferred);
        if (_random.Next(4) > 0)
        {
            return [first];
        }

        var second = PickEntry(user, e => !e.IsRoot && (!filesOnly || !e.IsFolder) && e.Id != first.Id, preferred);
        return [first, second];
    }

    private string PickConflict() => _random.Next(20) switch
    {
        < 5 => ModelRules.Ask,
        < 8 => ModelRules.Skip,
        < 13 => ModelRules.KeepBoth,
        _ => ModelRules.Replace,
    };

    /// <summary>A fresh name, or (often) a name some other entry has, so that conflicts and replaces happen.</summary>
    private string NewName(string prefix, string extension)
    {
        var named = _tree.Active.Where(e => !e.IsRoot).ToList();
        return _random.Next(5) < 2 && named.Count > 0 ? Pick(named).Name : $"{prefix}{_step}{extension}";
    }

    /// <summary>One to three characters of some entry's name.</summary>
    private string SearchWord()
    {
        var key = Pick(_tree.Active.Where(e => !e.IsRoot).ToList()).Key.Replace(" ", "", StringComparison.Ordinal);
        var start = _random.Next(key.Length);
        return key.Substring(start, Math.Min(key.Length - start, _random.Next(1, 4)));
    }

    private ModelBits RandomBits() => (ModelBits)_random.Next(1, 8);

    // ---- reporting ----

    private void Log(string line) => _log.Add($"#{_step:D4} {line}");

    private void Note(string text) => _log[^1] += " " + text;

    private void Violate(string invariant, string detail)
    {
        if (_violations.Find(v => v.Invariant == invariant) is { } earlier)
        {
            earlier.Count++;
            return;
        }

        _violations.Add(new ModelViolation(invariant, _step, detail, _log.TakeLast(StepsShown).ToList()));
    }

    private string Report()
    {
        var text = new StringBuilder();
        var last = _violations.Max(v => v.Step);
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{_violations.Count} access invariant(s) broken; seed {settings.Seed}, {StepsRun} of {settings.Steps} steps run.");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Replay: FILEVAULT_MODEL_SEED={settings.Seed} FILEVAULT_MODEL_STEPS={last} scripts/test.sh AccessModelTests (FILEVAULT_MODEL_KEEP_GOING=1 to find every broken invariant in one run).");
        foreach (var violation in _violations)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"[{violation.Invariant}] at step {violation.Step}{(violation.Count > 1 ? $" ({violation.Count} times)" : "")}: {violation.Detail}");
            text.AppendLine("Steps before it:");
            foreach (var line in violation.Steps)
            {
                text.AppendLine("  " + line);
            }
        }

        text.AppendLine();
        text.AppendLine("Grants (the model's, by folder identity, at its path now):");
        foreach (var grant in _model.Grants.OrderBy(g => g.GrantId))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {grant.GrantId}: {ShowGrant(grant)}");
        }

        text.AppendLine(Summary);
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Group members: {string.Join(", ", Users.Where(u => _model.IsMember(app.GroupId, u.Id)).Select(u => u.Name))}");
        return text.ToString();
    }

    private string Explain(ModelUser user, ModelEntry entry, ModelTree? tree = null) =>
        $" (model: {user.Name} has {_model.Evaluate(tree ?? _tree, user.Id, entry.Id)} there)";

    private string ShowGrant(ModelGrant grant)
    {
        var folder = _tree.Find(grant.FolderId);
        var where = folder is null ? $"entry {grant.FolderId} (gone)" : ModelRules.Show(folder);
        var who = grant.UserId is { } id ? Users.Concat([app.Admin]).FirstOrDefault(u => u.Id == id)?.Name ?? $"{id}" : "the group";
        return $"{(grant.Deny ? "deny" : "allow")} {grant.Bits} on {where} (entry {grant.FolderId}) to {who}";
    }

    private static string Show(ModelEntry entry) => ModelRules.Show(entry) + (entry.IsFolder ? "/" : "");

    private string Show(IReadOnlyList<ModelEntry> entries) => "[" + string.Join(", ", entries.Select(e => Show(e) + Size(e))) + "]";

    private string Size(ModelEntry entry) => entry.IsFolder ? $" ({_tree.Subtree(entry).Count() - 1} below)" : "";

    private static string BitsText(ModelBits bits) => string.Join(", ", EachBit.Where(b => bits.HasFlag(b)).Select(b => b.ToString()));

    /// <summary>A name without the " (1)" that keep-both adds, lower-cased: what a copy's name says about its source.</summary>
    private static string Token(string name)
    {
        var text = name.ToLowerInvariant();
        while (text.IndexOf(" (", StringComparison.Ordinal) is var open and >= 0
            && text.IndexOf(')', open) is var close and > 0
            && close > open + 2 && text[(open + 2)..close].All(char.IsAsciiDigit))
        {
            text = text[..open] + text[(close + 1)..];
        }

        return text;
    }

    private static List<long> JobIds(int status, string body)
    {
        if (status != 202)
        {
            return [];
        }

        var root = JsonDocument.Parse(body).RootElement;
        return root.TryGetProperty("jobIds", out var many) ? many.EnumerateArray().Select(j => j.GetInt64()).ToList() : [root.GetProperty("jobId").GetInt64()];
    }

    /// <summary>A ProblemDetails' detail and the names it lists (lower-cased); empty for any other body.</summary>
    private static (string Detail, HashSet<string> Names) ProblemText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ("", []);
            }

            var detail = root.TryGetProperty("detail", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "";
            var names = root.TryGetProperty("names", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!.ToLowerInvariant()).ToHashSet()
                : [];
            return (detail, names);
        }
        catch (JsonException)
        {
            return ("", []);
        }
    }

    private static string? CodeOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<(int Status, string Body)> GetAsync(ModelUser user, string url)
    {
        using var response = await user.Client.GetAsync(url);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static string? Differences(StateSnapshot before, StateSnapshot after)
    {
        var parts = new List<string>();
        if (before.Disk != after.Disk)
        {
            parts.Add("the disk " + LineDifferences(before.Disk, after.Disk));
        }

        if (before.Catalog != after.Catalog)
        {
            parts.Add("the catalog " + LineDifferences(before.Catalog, after.Catalog));
        }

        if (before.Trash != after.Trash)
        {
            parts.Add("the trash " + LineDifferences(before.Trash, after.Trash));
        }

        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>"(- gone, + new)" for the lines that differ, a few of each.</summary>
    private static string LineDifferences(string before, string after)
    {
        var old = before.Split('\n').ToHashSet(StringComparer.Ordinal);
        var now = after.Split('\n').ToHashSet(StringComparer.Ordinal);
        var gone = old.Where(l => !now.Contains(l)).Order(StringComparer.Ordinal).ToList();
        var added = now.Where(l => !old.Contains(l)).Order(StringComparer.Ordinal).ToList();
        return $"(- {string.Join(" | ", gone.Take(6))}{(gone.Count > 6 ? $" and {gone.Count - 6} more" : "")}; "
            + $"+ {string.Join(" | ", added.Take(6))}{(added.Count > 6 ? $" and {added.Count - 6} more" : "")})";
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>Compress into a .zip, run by the real job runner on a real disk, catalog and Redis; archives read back with System.IO.Compression.</summary>
public sealed class CompressOperationsTests : IAsyncLifetime
{
    private static readonly string NfdName = "보고서.txt".Normalize(NormalizationForm.FormD);
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            var folder = Path.Combine(root, "영업부", "2024");
            Directory.CreateDirectory(Path.Combine(folder, "빈 폴더"));
            Directory.CreateDirectory(Path.Combine(folder, "인사"));
            File.WriteAllText(Path.Combine(folder, "인사", "급여.txt"), "salaries");
            File.WriteAllText(Path.Combine(folder, "회의록.txt"), "minutes");
            File.WriteAllText(Path.Combine(folder, NfdName), "nfd report");
            File.WriteAllText(Path.Combine(folder, "a\\b.txt"), "backslash");
            File.WriteAllText(Path.Combine(folder, "Case.txt"), "upper");
            File.WriteAllText(Path.Combine(folder, "case.txt"), "lower");
            File.WriteAllBytes(Path.Combine(folder, "big.bin"), RandomNumberGenerator.GetBytes(3 << 20));
            File.CreateSymbolicLink(Path.Combine(folder, "outside"), "/etc");
            File.WriteAllText(Path.Combine(root, "영업부", "견적서.xlsx"), "quote");
            File.WriteAllText(Path.Combine(root, "영업부", "견적서.xlsx.zip"), "old archive");
            Directory.CreateDirectory(Path.Combine(root, "보관"));
            File.WriteAllText(Path.Combine(root, "보관", "목록.txt"), "list");
        }, FileOperationsTests.RunnerSettings);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _admin = await UserAsync(Roles.Admin);
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task A_folder_round_trips_byte_for_byte_with_korean_nfd_backslash_twins_and_empty_folders_but_no_links()
    {
        var job = await CompressAsync(_admin, ["영업부/2024"], null, ConflictChoice.Ask);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        var expected = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["2024/"] = null,
            ["2024/빈 폴더/"] = null,
            ["2024/인사/"] = null,
            ["2024/인사/급여.txt"] = "영업부/2024/인사/급여.txt",
            ["2024/회의록.txt"] = "영업부/2024/회의록.txt",
            ["2024/" + NfdName.Normalize(NormalizationForm.FormC)] = "영업부/2024/" + NfdName,
            ["2024/a\uFF3Cb.txt"] = "영업부/2024/a\\b.txt",
            ["2024/Case.txt"] = "영업부/2024/Case.txt",
            ["2024/case (1).txt"] = "영업부/2024/case.txt",
            ["2024/big.bin"] = "영업부/2024/big.bin",
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ZipHashes("영업부/2024.zip").Keys.Order(StringComparer.Ordinal));
        foreach (var (name, hash) in ZipHashes("영업부/2024.zip"))
        {
            Assert.True(hash == (expected[name] is { } source ? Hash(source) : null), $"{name} differs from its source");
        }

        Assert.All(Utf8Flags("영업부/2024.zip"), utf8 => Assert.True(utf8, "entry names are flagged UTF-8 (bit 11)"));
        Assert.Contains("\"linksSkipped\":1", job.Summary!.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("2024/outside (link)", job.Summary, StringComparison.Ordinal);
        Assert.Empty(Temporaries());

        var archive = (await _harness.CatalogAsync())["영업부/2024.zip"];
        Assert.Equal(job.ResultEntryId, archive.Id);
        Assert.Equal((EntryKind.File, _admin.UserId, await _harness.IdOfAsync("영업부")), (archive.Kind, archive.UploadedById, archive.ParentId));
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(_harness.PathOf("영업부/2024.zip"))), archive.ContentHash);
        await _harness.AssertCatalogMatchesDiskAsync();
        var rescan = await _harness.ScanAsync(ScanKind.Full);
        Assert.Equal((0, 0, 0), (rescan.Added, rescan.Missing, rescan.Updated));
        await using var db = _harness.Database.CreateDbContext();
        Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "entry.compress" && a.Target.EndsWith("/영업부/2024.zip") && a.ActorId == _admin.UserId));
    }

    [Fact]
    public async Task Several_items_are_named_after_their_folder_and_keep_both_numbers_the_next_archive()
    {
        var first = await CompressAsync(_admin, ["영업부/2024", "영업부/견적서.xlsx"], null, ConflictChoice.Ask);
        var second = await CompressAsync(_admin, ["영업부/견적서.xlsx", "영업부/2024"], null, ConflictChoice.KeepBoth);

        Assert.True(first.Status == JobStatus.Succeeded, first.Error);
        Assert.True(second.Status == JobStatus.Succeeded, second.Error);
        Assert.Contains("견적서.xlsx", ZipHashes("영업부/영업부.zip").Keys);
        Assert.Contains("2024/회의록.txt", ZipHashes("영업부/영업부.zip").Keys);
        Assert.Equal(ZipHashes("영업부/영업부.zip").OrderBy(e => e.Key, StringComparer.Ordinal), ZipHashes("영업부/영업부 (1).zip").OrderBy(e => e.Key, StringComparer.Ordinal));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_taken_name_asks_first_skip_leaves_it_and_replace_sends_the_old_archive_to_the_trash()
    {
        var asked = await RequestAsync(_admin, ["영업부/견적서.xlsx"], null, ConflictChoice.Ask);
        var skipped = await CompressAsync(_admin, ["영업부/견적서.xlsx"], null, ConflictChoice.Skip);
        var oldId = await _harness.IdOfAsync("영업부/견적서.xlsx.zip");

        Assert.Equal("name.conflict", asked.Error?.Code);
        Assert.Contains("견적서.xlsx.zip", asked.Error!.Message, StringComparison.Ordinal);
        Assert.True(skipped.Status == JobStatus.Succeeded, skipped.Error);
        Assert.Contains("견적서.xlsx.zip", skipped.Summary, StringComparison.Ordinal);
        Assert.Equal("old archive", File.ReadAllText(_harness.PathOf("영업부/견적서.xlsx.zip")));

        var replaced = await CompressAsync(_admin, ["영업부/견적서.xlsx"], null, ConflictChoice.Replace);

        Assert.True(replaced.Status == JobStatus.Succeeded, replaced.Error);
        Assert.Equal(new Dictionary<string, string?> { ["견적서.xlsx"] = Hash("영업부/견적서.xlsx") }, ZipHashes("영업부/견적서.xlsx.zip"));
        var trashed = Assert.Single(await _harness.Get<TrashQueries>().ListAsync(_admin, default));
        Assert.Equal("영업부/견적서.xlsx.zip", trashed.OriginalPath);
        Assert.Equal("old archive", File.ReadAllText(_harness.PathOf($".filevault-trash/{trashed.Id}/견적서.xlsx.zip")));
        Assert.NotEqual(oldId, await _harness.IdOfAsync("영업부/견적서.xlsx.zip"));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_given_name_gets_zip_appended_in_nfc_and_passes_the_path_guard()
    {
        var job = await CompressAsync(_admin, ["영업부/견적서.xlsx"], " " + "월간 보고".Normalize(NormalizationForm.FormD) + " ", ConflictChoice.Ask);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(File.Exists(_harness.PathOf("영업부/월간 보고.zip")), "the name is stored in NFC with .zip added");
        Assert.Equal("path.reserved_name", (await RequestAsync(_admin, ["영업부/견적서.xlsx"], "CON", ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("path.reserved_name", (await RequestAsync(_admin, ["영업부/견적서.xlsx"], PathGuard.TemporaryPrefix + "x", ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("path.separator_in_name", (await RequestAsync(_admin, ["영업부/견적서.xlsx"], "a/b", ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("path.backslash", (await RequestAsync(_admin, ["영업부/견적서.xlsx"], "a\\b", ConflictChoice.Ask)).Error?.Code);
        // 84 syllables of 3 bytes and ".zip": 256 bytes, one over.
        Assert.Equal("path.name_too_long", (await RequestAsync(_admin, ["영업부/견적서.xlsx"], new string('가', 84), ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("compress.mixed_folders", (await RequestAsync(_admin, ["영업부/견적서.xlsx", "보관/목록.txt"], null, ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("compress.replaces_source",
            (await RequestAsync(_admin, ["영업부/견적서.xlsx", "영업부/견적서.xlsx.zip"], "견적서.xlsx.zip", ConflictChoice.Replace)).Error?.Code);
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(1, await db.Jobs.CountAsync());
    }

    [Fact]
    public void Default_names_come_from_the_one_entry_or_the_folder_and_a_top_folder_gives_archive_zip()
    {
        var top = new Entry { Name = "", NameKey = "", RelativePath = "" };
        var sales = new Entry { Name = "영업부".Normalize(NormalizationForm.FormD), NameKey = "영업부", RelativePath = "영업부" };
        var report = new Entry { Name = "보고서.pdf", NameKey = "보고서.pdf", RelativePath = "영업부/보고서.pdf" };
        var device = new Entry { Name = "con", NameKey = "con", RelativePath = "영업부/con" };

        Assert.Equal("보고서.pdf.zip", CompressOperations.ArchiveNameFor(null, [report], sales).Value);
        Assert.Equal("영업부.zip", CompressOperations.ArchiveNameFor(" ", [report, device], sales).Value);
        Assert.Equal(CompressOperations.DefaultArchiveName, CompressOperations.ArchiveNameFor(null, [sales, report], top).Value);
        Assert.Equal(CompressOperations.DefaultArchiveName, CompressOperations.ArchiveNameFor(null, [device], sales).Value);
        Assert.Equal("Q3.ZIP", CompressOperations.ArchiveNameFor("Q3.ZIP", [report], sales).Value);
    }

    [Fact]
    public async Task Read_only_users_are_refused_unreadable_sources_are_not_found_and_denied_subfolders_are_left_out()
    {
        var reader = await UserAsync(Roles.User, ("", Permission.Read, GrantEffect.Allow));
        var blind = await UserAsync(Roles.User, ("영업부", Permission.Read | Permission.Write, GrantEffect.Allow), ("영업부/2024", Permission.Read, GrantEffect.Deny));
        var writer = await UserAsync(Roles.User, ("영업부", Permission.Read | Permission.Write, GrantEffect.Allow), ("영업부/2024/인사", Permission.Read, GrantEffect.Deny));

        Assert.Equal("auth.forbidden", (await RequestAsync(reader, ["영업부/견적서.xlsx"], null, ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("entry.not_found", (await RequestAsync(blind, ["영업부/2024"], null, ConflictChoice.Ask)).Error?.Code);
        Assert.Equal("entry.not_found", (await RequestAsync(blind, ["영업부/견적서.xlsx", "영업부/2024"], null, ConflictChoice.Ask)).Error?.Code);
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.False(await db.Jobs.AnyAsync());
        }

        var allowed = await CompressAsync(writer, ["영업부/2024"], null, ConflictChoice.Ask);
        Assert.True(allowed.Status == JobStatus.Succeeded, allowed.Error);
        Assert.Equal(writer.UserId, (await _harness.CatalogAsync())["영업부/2024.zip"].UploadedById);
        var names = ZipHashes("영업부/2024.zip").Keys;
        Assert.Contains("2024/회의록.txt", names);
        Assert.DoesNotContain(names, n => n.Contains("인사", StringComparison.Ordinal) || n.Contains("급여", StringComparison.Ordinal));
        Assert.DoesNotContain("인사", allowed.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unhealthy_root_is_refused_with_nothing_written()
    {
        var marker = _harness.PathOf(StorageRootRegistry.MarkerFileName);
        File.Move(marker, marker + ".away");
        try
        {
            Assert.Equal("root.unhealthy", (await RequestAsync(_admin, ["보관/목록.txt"], null, ConflictChoice.Ask)).Error?.Code);
        }
        finally
        {
            File.Move(marker + ".away", marker);
        }

        Assert.False(File.Exists(_harness.PathOf("보관/목록.txt.zip")));
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.False(await db.Jobs.AnyAsync());
        }

        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Theory]
    [InlineData("changed")]
    [InlineData("vanished")]
    public async Task A_file_that_changes_or_vanishes_while_it_is_read_aborts_with_no_archive(string change)
    {
        var big = RealPath("영업부/2024/big.bin");
        var hooked = false;
        CompressFaults.Set(big, _ =>
        {
            hooked = true;
            Assert.Single(Temporaries());
            if (change == "changed")
            {
                File.AppendAllText(big, "more");
            }
            else
            {
                File.Delete(big);
            }

            return Task.CompletedTask;
        });

        var job = await CompressAsync(_admin, ["영업부/2024"], null, ConflictChoice.Ask);

        Assert.True(hooked, "the source was read");
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("big.bin", job.Error, StringComparison.Ordinal);
        Assert.Contains("no archive", job.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_harness.PathOf("영업부/2024.zip")));
        Assert.Empty(Temporaries());
        var catalog = await _harness.CatalogAsync();
        Assert.DoesNotContain("영업부/2024.zip", catalog.Keys);
        // The temporary file came and went: the catalog follows the folder's new mtime.
        Assert.Equal(_harness.Disk()["영업부"].MtimeMicros, (catalog["영업부"].ModifiedAt.UtcTicks - DateTime.UnixEpoch.Ticks) / 10);
    }

    [Fact]
    public async Task Cancelling_stops_the_job_and_deletes_the_temporary_file()
    {
        var cancelled = false;
        CompressFaults.Set(RealPath("영업부/2024/big.bin"), async stopping =>
        {
            Assert.Single(Temporaries());
            await using (var db = _harness.Database.CreateDbContext())
            {
                var running = await db.Jobs.SingleAsync(j => j.Type == "compress" && j.Status == JobStatus.Running, CancellationToken.None);
                Assert.True((await _harness.Get<JobLedger>().CancelAsync(_admin.UserId, false, running.Id, default)).IsSuccess);
            }

            // Until the runner passes the cancel on (its next heartbeat), not a fixed sleep.
            cancelled = await Task.Delay(TimeSpan.FromSeconds(30), stopping).ContinueWith(t => t.IsCanceled, TaskScheduler.Default);
        });

        var job = await CompressAsync(_admin, ["영업부/2024"], null, ConflictChoice.Ask);

        Assert.True(cancelled, "the cancel reached the running job");
        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.Empty(Temporaries());
        Assert.False(File.Exists(_harness.PathOf("영업부/2024.zip")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task The_same_idempotency_key_makes_one_job()
    {
        var first = await RequestAsync(_admin, ["영업부/견적서.xlsx"], "사본", ConflictChoice.Ask, "click-7");
        var again = await RequestAsync(_admin, ["영업부/견적서.xlsx"], "사본", ConflictChoice.Ask, "click-7");

        Assert.Equal(first.Value, again.Value);
        Assert.Equal(JobStatus.Succeeded, (await WaitAsync(first.Value)).Status);
        Assert.Equal(first.Value, (await RequestAsync(_admin, ["영업부/견적서.xlsx"], "사본", ConflictChoice.Ask, "click-7")).Value);
    }

    private async Task<Job> CompressAsync(AccessSubject actor, string[] paths, string? name, ConflictChoice conflicts)
    {
        var result = await RequestAsync(actor, paths, name, conflicts);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return await WaitAsync(result.Value);
    }

    private async Task<Result<long>> RequestAsync(AccessSubject actor, string[] paths, string? name, ConflictChoice conflicts, string? key = null)
    {
        var ids = new List<long>();
        foreach (var path in paths)
        {
            ids.Add(await _harness.IdOfAsync(path));
        }

        await using var scope = _harness.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<CompressOperations>().CompressAsync(actor, ids, name, conflicts, key, default);
    }

    private async Task<Job> WaitAsync(long jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await _harness.Get<JobLedger>().GetAsync(jobId, default))!;
            if (job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled || DateTime.UtcNow > deadline)
            {
                return job;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Each entry of an archive on disk: name → SHA-256 of its bytes (null for folders).</summary>
    private Dictionary<string, string?> ZipHashes(string relative)
    {
        using var zip = ZipFile.OpenRead(_harness.PathOf(relative));
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            if (e.FullName.EndsWith('/'))
            {
                return null;
            }

            using var stream = e.Open();
            return Convert.ToHexString(SHA256.HashData(stream));
        }, StringComparer.Ordinal);
    }

    /// <summary>The UTF-8 flag (bit 11) of every central directory record.</summary>
    private Dictionary<string, bool>.ValueCollection Utf8Flags(string relative) => ZipRecords.Utf8Flags(File.ReadAllBytes(_harness.PathOf(relative))).Values;

    private string Hash(string relative) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(_harness.PathOf(relative))));

    private List<string> Temporaries() => Directory.EnumerateFiles(_harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories).ToList();

    private string RealPath(string relative)
    {
        Assert.True(UnixRealPath.TryResolve(_harness.PathOf(relative), out var real, out _));
        return real;
    }

    /// <summary>A user with a role recorded in the database (a job re-checks its owner's current roles and grants) and the given grants.</summary>
    private async Task<AccessSubject> UserAsync(string role, params (string Folder, Permission Permissions, GrantEffect Effect)[] grants)
    {
        var user = await HarnessUsers.CreateAsync(_harness, Guid.NewGuid() + "@t", role);
        await using (var db = _harness.Database.CreateDbContext())
        {
            foreach (var (folder, permissions, effect) in grants)
            {
                db.FolderGrants.Add(new FolderGrant
                {
                    RootId = _harness.RootId, RelativePath = folder, UserId = user.UserId, Permissions = permissions, Effect = effect, CreatedAt = DateTimeOffset.UtcNow,
                });
            }

            await db.SaveChangesAsync();
        }

        await _harness.Get<AccessVersion>().BumpAsync();
        return user;
    }
}

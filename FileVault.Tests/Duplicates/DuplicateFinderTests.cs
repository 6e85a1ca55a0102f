using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Duplicates;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Duplicates;

/// <summary>The duplicate finder on a real disk and catalog: what it groups, what it reads, what it reuses, who may run it, and resolving through the trash.</summary>
public sealed class DuplicateFinderTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(settings: FileOperationsTests.RunnerSettings);
        _admin = await HarnessUsers.CreateAsync(_harness, "boss@dup.test", Roles.Admin);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Copies_form_a_group_and_files_of_the_same_size_with_other_content_do_not()
    {
        var report = Bytes(20_000, 1);
        await WriteAndScanAsync(
            ("영업부/보고서.pdf", report), ("백업/보고서 복사본.pdf", report), ("기타/다른 보고서.pdf", Bytes(20_000, 2)),
            ("a.txt", "hello world 1"u8.ToArray()), ("b.txt", "hello world 2"u8.ToArray()), ("c.txt", "hello world 1"u8.ToArray()));

        var summary = await FindAsync();
        var page = await PageAsync(new DuplicateFilter());

        Assert.Equal(2, summary.Groups);
        Assert.Equal(2, page.Total);
        Assert.Equal(20_000 + 13, page.ReclaimableBytes);
        Assert.Equal(["백업/보고서 복사본.pdf", "영업부/보고서.pdf"], page.Groups[0].Files.Select(f => f.Path));
        Assert.Equal(["a.txt", "c.txt"], page.Groups[1].Files.Select(f => f.Path));
    }

    [Fact]
    public async Task Hard_links_are_one_file_on_disk()
    {
        var content = Bytes(10_000, 3);
        await WriteAndScanAsync(("x.bin", content));
        HardLink("x.bin", "links/x-link.bin");
        await ScanAsync();

        Assert.Equal(0, (await FindAsync()).Groups);
        Assert.Empty((await PageAsync(new DuplicateFilter())).Groups);

        await WriteAndScanAsync(("y.bin", content));
        await FindAsync();
        var group = Assert.Single((await PageAsync(new DuplicateFilter())).Groups);

        Assert.Equal(2, group.Copies);
        Assert.Equal(10_000, group.ReclaimableBytes);
        Assert.Equal(["links/x-link.bin", "x.bin", "y.bin"], group.Files.Select(f => f.Path));
    }

    [Fact]
    public async Task Decoys_equal_in_their_first_and_last_blocks_but_not_in_the_middle_are_not_duplicates()
    {
        var original = Bytes((3 * DuplicateFinder.BlockSize) + 500, 4);
        var decoy = (byte[])original.Clone();
        decoy[6000] ^= 0xFF;
        await WriteAndScanAsync(("원본.dat", original), ("미끼.dat", decoy), ("사본.dat", original));

        var summary = await FindAsync();

        var group = Assert.Single((await PageAsync(new DuplicateFilter())).Groups);
        Assert.Equal(["사본.dat", "원본.dat"], group.Files.Select(f => f.Path));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)), group.Hash);
        Assert.Equal((1, 3), (summary.Groups, summary.Candidates));
    }

    [Fact]
    public async Task A_file_changing_while_it_is_hashed_is_not_reported_and_is_read_again_next_time()
    {
        var content = Bytes(20_000, 5);
        await WriteAndScanAsync(("a.bin", content), ("b.bin", content));
        var finder = _harness.Get<DuplicateFinder>();
        var changed = (byte[])content.Clone();
        changed[10_000] ^= 0xFF;
        finder.AfterRead = path =>
        {
            if (path == "b.bin")
            {
                finder.AfterRead = null;
                // In place, as an editor saving over the file would: same inode, same size, new bytes.
                using var stream = new FileStream(_harness.PathOf("b.bin"), FileMode.Open, FileAccess.Write);
                stream.Write(changed);
            }
        };

        var first = await FindAsync();

        Assert.Equal((0, 1), (first.Groups, first.Changed));
        Assert.Empty((await PageAsync(new DuplicateFilter())).Groups);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var b = await db.Entries.SingleAsync(e => e.RelativePath == "b.bin");
            Assert.False(await db.ContentHashes.AnyAsync(h => h.EntryId == b.Id));
        }

        await File.WriteAllBytesAsync(_harness.PathOf("b.bin"), content);
        var second = await FindAsync();

        Assert.Equal(1, second.Groups);
        Assert.Equal(0, second.Changed);
        Assert.Single((await PageAsync(new DuplicateFilter())).Groups);
    }

    [Fact]
    public async Task Stored_hashes_are_reused_while_size_and_mtime_are_unchanged()
    {
        var content = Bytes(20_000, 6);
        await WriteAndScanAsync(("a.bin", content), ("b.bin", content), ("c.bin", content), ("d.bin", Bytes(20_000, 7)), ("e.bin", Bytes(20_000, 8)));

        var first = await FindAsync();
        var second = await FindAsync();
        File.SetLastWriteTimeUtc(_harness.PathOf("b.bin"), DateTime.UtcNow.AddMinutes(-5));
        var third = await FindAsync();

        Assert.Equal((5, 0, 1), (first.Read, first.Reused, first.Groups));
        Assert.Equal((0, 5, 1), (second.Read, second.Reused, second.Groups));
        Assert.Equal((1, 4, 1), (third.Read, third.Reused, third.Groups));
        Assert.Equal(3, (await PageAsync(new DuplicateFilter())).Groups.Single().Copies);
    }

    [Fact]
    public async Task A_folder_turned_into_a_link_out_of_the_root_is_not_read()
    {
        var content = Bytes(9_000, 9);
        await WriteAndScanAsync(("안/a.bin", content), ("b.bin", content));
        var outside = Directory.CreateTempSubdirectory("filevault-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "a.bin"), content);
            Directory.Delete(_harness.PathOf("안"), recursive: true);
            Directory.CreateSymbolicLink(_harness.PathOf("안"), outside);

            var summary = await FindAsync();

            Assert.Equal((0, 1), (summary.Groups, summary.Unreadable));
            Assert.Empty((await PageAsync(new DuplicateFilter())).Groups);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task The_report_is_sorted_by_reclaimable_bytes_and_filtered_by_folder_and_type()
    {
        var photo = Bytes(5_000, 10);
        var document = Bytes(30_000, 11);
        await WriteAndScanAsync(
            ("사진/a.jpg", photo), ("사진/여름/b.jpg", photo), ("c.jpg", photo),
            ("문서/계약서.pdf", document), ("보관/계약서.pdf", document));
        await FindAsync();

        var all = await PageAsync(new DuplicateFilter());
        var inPhotos = await PageAsync(new DuplicateFilter(_harness.RootId, "사진"));
        var inPhotosNfd = await PageAsync(new DuplicateFilter(_harness.RootId, "/사진/".Normalize(NormalizationForm.FormD)));
        var images = await PageAsync(new DuplicateFilter(Type: FileType.Image));
        var documents = await PageAsync(new DuplicateFilter(Type: FileType.Document));
        var secondPage = await PageAsync(new DuplicateFilter(Skip: 1, Take: 1));

        Assert.Equal([30_000L, 10_000L], all.Groups.Select(g => g.ReclaimableBytes));
        Assert.Equal(40_000, all.ReclaimableBytes);
        Assert.Equal(["c.jpg", "사진/a.jpg", "사진/여름/b.jpg"], Assert.Single(inPhotos.Groups).Files.Select(f => f.Path));
        Assert.Equal(3, Assert.Single(inPhotosNfd.Groups).Copies);
        Assert.Equal(5_000, Assert.Single(images.Groups).Size);
        Assert.Equal(30_000, Assert.Single(documents.Groups).Size);
        Assert.Equal((2, 5_000L), (secondPage.Total, Assert.Single(secondPage.Groups).Size));
    }

    [Fact]
    public async Task Only_admins_search_list_or_resolve_and_a_queued_search_stops_when_its_owner_is_no_admin()
    {
        var content = Bytes(9_000, 12);
        await WriteAndScanAsync(("a.bin", content), ("b.bin", content));
        var user = await HarnessUsers.CreateAsync(_harness, "kim@dup.test", Roles.User);
        await using (var scope = _harness.CreateScope())
        {
            var report = scope.ServiceProvider.GetRequiredService<DuplicateReport>();
            Assert.Equal("auth.forbidden", (await _harness.Get<DuplicateScans>().RequestAsync(user, default)).Error?.Code);
            Assert.Equal("auth.forbidden", (await _harness.Get<DuplicateScans>().LastAsync(user, default)).Error?.Code);
            Assert.Equal("auth.forbidden", (await report.PageAsync(user, new DuplicateFilter(), default)).Error?.Code);
            Assert.Equal("auth.forbidden", (await report.ResolveAsync(user, await _harness.IdOfAsync("a.bin"), null, default)).Error?.Code);
        }

        await StartRunnerAsync();
        try
        {
            // Queued while its owner was an admin, demoted since: the run asks again and refuses.
            var queued = await _harness.Get<JobLedger>().EnqueueAsync(user.UserId, new NewJob(DuplicateScans.JobType, JobQueues.Dedup, "{}"), default);
            await _harness.Get<JobEvents>().NotifyQueuedAsync();
            var refused = await _harness.WaitForJobAsync(queued.Value);

            Assert.Equal(JobStatus.Failed, refused.Status);
            Assert.Contains("administrators", refused.Error, StringComparison.Ordinal);
            await using (var db = _harness.Database.CreateDbContext())
            {
                Assert.Equal(0, await db.ContentHashes.CountAsync());
            }

            var job = await _harness.WaitForJobAsync((await _harness.Get<DuplicateScans>().RequestAsync(_admin, default)).Value);

            Assert.Equal(JobStatus.Succeeded, job.Status);
            Assert.Equal(1, JsonDocument.Parse(job.Summary!).RootElement.GetProperty("groups").GetInt32());
            Assert.Equal(job.Id, (await _harness.Get<DuplicateScans>().LastAsync(_admin, default)).Value!.JobId);
        }
        finally
        {
            await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Resolving_keeps_one_copy_and_sends_the_others_to_the_trash_from_where_they_can_be_restored()
    {
        var content = Bytes(12_000, 13);
        await WriteAndScanAsync(("영업부/견적서.xlsx", content), ("백업/견적서.xlsx", content), ("백업/옛날/견적서 (1).xlsx", content));
        await FindAsync();
        await StartRunnerAsync();
        try
        {
            IReadOnlyList<long> jobs;
            await using (var scope = _harness.CreateScope())
            {
                jobs = (await scope.ServiceProvider.GetRequiredService<DuplicateReport>().ResolveAsync(_admin, await _harness.IdOfAsync("영업부/견적서.xlsx"), null, default)).Value;
            }

            foreach (var id in jobs)
            {
                var job = await _harness.WaitForJobAsync(id);
                Assert.True(job.Status == JobStatus.Succeeded, job.Error);
            }

            Assert.True(File.Exists(_harness.PathOf("영업부/견적서.xlsx")));
            Assert.False(File.Exists(_harness.PathOf("백업/견적서.xlsx")));
            Assert.False(File.Exists(_harness.PathOf("백업/옛날/견적서 (1).xlsx")));
            Assert.Empty((await PageAsync(new DuplicateFilter())).Groups);

            List<long> trashIds;
            await using (var scope = _harness.CreateScope())
            {
                trashIds = (await scope.ServiceProvider.GetRequiredService<TrashQueries>().PageAsync(_admin, new TrashQuery(), default)).Value.Items.Select(i => i.Id).ToList();
            }

            Assert.Equal(2, trashIds.Count);
            await using (var scope = _harness.CreateScope())
            {
                var restores = (await scope.ServiceProvider.GetRequiredService<TrashOperations>().RestoreAsync(_admin, trashIds, ConflictChoice.Ask, null, default)).Value;
                foreach (var id in restores)
                {
                    Assert.Equal(JobStatus.Succeeded, (await _harness.WaitForJobAsync(id)).Status);
                }
            }

            Assert.Equal(content, await File.ReadAllBytesAsync(_harness.PathOf("백업/견적서.xlsx")));
            Assert.Equal(content, await File.ReadAllBytesAsync(_harness.PathOf("백업/옛날/견적서 (1).xlsx")));
            await _harness.AssertCatalogMatchesDiskAsync();
        }
        finally
        {
            await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Resolving_refuses_and_trashes_nothing_when_a_copy_changed_since_the_search()
    {
        var content = Bytes(12_000, 14);
        await WriteAndScanAsync(("a.bin", content), ("b.bin", content));
        await FindAsync();
        var changed = (byte[])content.Clone();
        changed[100] ^= 0xFF;
        await File.WriteAllBytesAsync(_harness.PathOf("b.bin"), changed);

        await using var scope = _harness.CreateScope();
        var resolved = await scope.ServiceProvider.GetRequiredService<DuplicateReport>().ResolveAsync(_admin, await _harness.IdOfAsync("a.bin"), null, default);

        Assert.Equal("duplicates.changed", resolved.Error?.Code);
        Assert.True(File.Exists(_harness.PathOf("a.bin")) && File.Exists(_harness.PathOf("b.bin")));
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(0, await db.Jobs.CountAsync(j => j.Type == "delete"));
    }

    private async Task StartRunnerAsync()
    {
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_search_reports_its_progress_through_both_passes_and_ends_at_all_done()
    {
        var content = Bytes(30_000, 40);
        // Same size, same first and last blocks only for the copies: the partial pass reads four, the full pass two.
        await WriteAndScanAsync(("p/a.bin", content), ("p/b.bin", content), ("p/c.bin", Bytes(30_000, 41)), ("p/d.bin", Bytes(30_000, 42)));
        var steps = new List<DuplicateScanProgress>();

        var result = await _harness.Get<DuplicateFinder>().RunAsync(step =>
        {
            steps.Add(step);
            return Task.FromResult<Error?>(null);
        }, default);

        Assert.True(result.IsSuccess);
        Assert.Equal("partial", steps[0].Phase);
        Assert.Equal(new DuplicateScanProgress(6, 6, "done"), steps[^1]);
        Assert.Contains(steps, s => s.Phase == "full" && s.Done == 4 && s.Total == 6);
        // Done never goes back, and never passes the total known at that step.
        Assert.All(steps.Zip(steps.Skip(1)), pair => Assert.True(pair.Second.Done >= pair.First.Done));
        Assert.All(steps, s => Assert.InRange(s.Done, 0, s.Total));
    }

    private async Task<DuplicateScanSummary> FindAsync()
    {
        var result = await _harness.Get<DuplicateFinder>().RunAsync(_ => Task.FromResult<Error?>(null), default);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private async Task<DuplicatePage> PageAsync(DuplicateFilter filter)
    {
        await using var scope = _harness.CreateScope();
        var page = await scope.ServiceProvider.GetRequiredService<DuplicateReport>().PageAsync(_admin, filter, default);
        Assert.True(page.IsSuccess, page.Error?.ToString());
        return page.Value;
    }

    private async Task WriteAndScanAsync(params (string Path, byte[] Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_harness.PathOf(path))!);
            await File.WriteAllBytesAsync(_harness.PathOf(path), content);
        }

        await ScanAsync();
    }

    private async Task ScanAsync() => Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);

    private void HardLink(string existing, string link)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_harness.PathOf(link))!);
        using var ln = Process.Start("ln", ["--", _harness.PathOf(existing), _harness.PathOf(link)]);
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

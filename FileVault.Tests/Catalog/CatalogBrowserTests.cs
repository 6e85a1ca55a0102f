using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using Microsoft.Extensions.DependencyInjection;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Catalog;

/// <summary>Keyset pages of a crowded folder, walked to the end, equal the whole listing sorted in memory.</summary>
public sealed class CatalogBrowserTests : IAsyncLifetime
{
    private const int Children = 2_500;
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private ScanHarness _harness = default!;
    private long _folderId;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync();
        await using var db = _harness.Database.CreateDbContext();
        // A folder row and its children straight in SQL: folders and files, repeated names in another case, repeated
        // sizes and times (so the id tie-break matters), Korean names, missing and trashed rows that must not show.
        _folderId = await db.Database.SqlQuery<long>($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, state, device, inode, name_is_valid)
            VALUES ({_harness.RootId}, NULL, 'crowded', 'crowded', 'crowded', 0, 0, now(), 0, 1, 1, true)
            RETURNING id AS "Value"
            """).AsAsyncEnumerable().SingleAsync();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, uploaded_at, state, device, inode, name_is_valid)
            SELECT {_harness.RootId}, {_folderId}, n.name, lower(n.name), 'crowded/' || n.name,
                   CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END,
                   CASE WHEN i % 10 = 0 THEN 0 ELSE (i * 7919) % 500 END,
                   timestamptz '2025-01-01' + ((i % 300) || ' minutes')::interval,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE (ARRAY['pdf','xlsx','txt','hwp',NULL])[1 + i % 5] END,
                   CASE WHEN i % 3 = 0 THEN NULL ELSE timestamptz '2025-06-01' + ((i % 50) || ' hours')::interval END,
                   CASE WHEN i % 97 = 0 THEN 2 WHEN i % 89 = 0 THEN 1 ELSE 0 END,
                   1, 1000 + i, true
            FROM generate_series(1, {Children}) AS i,
                 LATERAL (SELECT (CASE i % 4 WHEN 0 THEN '보고서' WHEN 1 THEN 'Report' WHEN 2 THEN 'report' ELSE '견적' END) || '_' || (i % 400) || '_' || i AS name) n
            """);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData(BrowseSort.Name, false)]
    [InlineData(BrowseSort.Name, true)]
    [InlineData(BrowseSort.Size, false)]
    [InlineData(BrowseSort.Size, true)]
    [InlineData(BrowseSort.Modified, false)]
    [InlineData(BrowseSort.Modified, true)]
    [InlineData(BrowseSort.Uploaded, false)]
    [InlineData(BrowseSort.Uploaded, true)]
    [InlineData(BrowseSort.Type, false)]
    [InlineData(BrowseSort.Type, true)]
    public async Task Paging_to_the_end_lists_every_active_child_once_folders_first_in_order(BrowseSort sort, bool descending)
    {
        await using var scope = _harness.CreateScope();
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        var listed = new List<BrowseItem>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await browser.BrowseAsync(Admin, new BrowseQuery(_folderId, sort, descending, cursor, PageSize: 97), CancellationToken.None);
            Assert.True(page.IsSuccess, page.Error?.ToString());
            listed.AddRange(page.Value.Items);
            cursor = page.Value.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 1000);

        var expected = await ExpectedAsync(sort, descending);
        Assert.Equal(expected, listed.Select(i => i.Id).ToList());
    }

    [Fact]
    public async Task A_cursor_from_another_sort_or_garbage_is_refused()
    {
        await using var scope = _harness.CreateScope();
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        var first = await browser.BrowseAsync(Admin, new BrowseQuery(_folderId, BrowseSort.Name, PageSize: 10), CancellationToken.None);

        var otherSort = await browser.BrowseAsync(Admin, new BrowseQuery(_folderId, BrowseSort.Size, After: first.Value.NextCursor), CancellationToken.None);
        var garbage = await browser.BrowseAsync(Admin, new BrowseQuery(_folderId, After: "not-a-cursor"), CancellationToken.None);

        Assert.Equal("browse.cursor_invalid", otherSort.Error?.Code);
        Assert.Equal("browse.cursor_invalid", garbage.Error?.Code);
    }

    [Fact]
    public async Task Browsing_a_file_or_an_unknown_id_is_refused()
    {
        await using var scope = _harness.CreateScope();
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        await using var db = _harness.Database.CreateDbContext();
        var file = await db.Entries.FirstAsync(e => e.ParentId == _folderId && e.Kind == EntryKind.File && e.State == EntryState.Active);

        Assert.Equal("entry.not_a_folder", (await browser.BrowseAsync(Admin, new BrowseQuery(file.Id), CancellationToken.None)).Error?.Code);
        Assert.Equal("entry.not_found", (await browser.BrowseAsync(Admin, new BrowseQuery(-1), CancellationToken.None)).Error?.Code);
    }

    /// <summary>The whole listing sorted in memory with the same rules: folders first, key, then id.</summary>
    private async Task<List<long>> ExpectedAsync(BrowseSort sort, bool descending)
    {
        await using var db = _harness.Database.CreateDbContext();
        var rows = await db.Entries.AsNoTracking().Where(e => e.ParentId == _folderId && e.State == EntryState.Active).ToListAsync();
        IComparer<Entry> byKey = Comparer<Entry>.Create((a, b) =>
        {
            var compared = sort switch
            {
                BrowseSort.Size => a.Size.CompareTo(b.Size),
                BrowseSort.Modified => a.ModifiedAt.CompareTo(b.ModifiedAt),
                BrowseSort.Uploaded => (a.UploadedAt ?? DateTimeOffset.MinValue).CompareTo(b.UploadedAt ?? DateTimeOffset.MinValue),
                BrowseSort.Type => string.CompareOrdinal(a.Extension ?? "", b.Extension ?? "") is var c && c != 0 ? c : string.CompareOrdinal(a.NameKey, b.NameKey),
                _ => string.CompareOrdinal(a.NameKey, b.NameKey),
            };
            compared = compared != 0 ? compared : a.Id.CompareTo(b.Id);
            return descending ? -compared : compared;
        });
        return rows.OrderBy(e => e.Kind == EntryKind.Directory ? 0 : 1).ThenBy(e => e, byKey).Select(e => e.Id).ToList();
    }
}

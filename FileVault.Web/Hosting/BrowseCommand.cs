using System.Diagnostics;
using System.Globalization;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web browse --root DIR --folder REL [--sort name|size|modified|uploaded|type] [--desc] [--page-size N]`:
/// pages through one catalogued folder with the app's keyset browse and prints the timings as `name: value` lines,
/// with the folder's entry id and root id.
/// </summary>
public static class BrowseCommand
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["browse", .. var options])
        {
            return null;
        }

        var root = ScanCommand.Option(options, "--root");
        var folder = ScanCommand.Option(options, "--folder") ?? "";
        var sort = Enum.TryParse<BrowseSort>(ScanCommand.Option(options, "--sort"), ignoreCase: true, out var parsed) ? parsed : BrowseSort.Name;
        var pageSize = int.TryParse(ScanCommand.Option(options, "--page-size"), CultureInfo.InvariantCulture, out var size) ? size : 200;
        var descending = options.Contains("--desc");
        if (root is null)
        {
            await Console.Error.WriteLineAsync("usage: FileVault.Web browse --root ABSOLUTE_DIR --folder RELATIVE_PATH [--sort name] [--desc] [--page-size 200]");
            return 2;
        }

        await using var services = await ScanCommand.BuildServicesAsync();
        await using var scope = services.CreateAsyncScope();
        // The command is the operator at the server's console: it browses as FileVault itself, which sees every root.
        var operatorSubject = AccessSubject.System;
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var rootId = (await scope.ServiceProvider.GetRequiredService<StorageRootQueries>().FindByPathAsync(operatorSubject, fullPath, CancellationToken.None)).Value;
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        if (rootId is not { } rootIdFound
            || await browser.ResolveFolderAsync(operatorSubject, rootIdFound, folder, CancellationToken.None) is not { IsSuccess: true } folderFound)
        {
            await Console.Error.WriteLineAsync($"error: {folder} is not catalogued under {fullPath}; scan it first");
            return 1;
        }

        var folderId = folderFound.Value;
        // One warm-up page: the first query of a process also pays for EF's model and query compilation.
        await browser.BrowseAsync(operatorSubject, new BrowseQuery(folderId, sort, descending, PageSize: pageSize), CancellationToken.None);

        var pages = new List<double>();
        long children = 0;
        string? cursor = null;
        var total = Stopwatch.StartNew();
        do
        {
            var clock = Stopwatch.StartNew();
            var page = await browser.BrowseAsync(operatorSubject, new BrowseQuery(folderId, sort, descending, cursor, pageSize), CancellationToken.None);
            pages.Add(clock.Elapsed.TotalMilliseconds);
            children += page.Value.Items.Count;
            cursor = page.Value.NextCursor;
        }
        while (cursor is not null);

        var ms = (double value) => value.ToString("F1", CultureInfo.InvariantCulture);
        ScanCommand.Print("children", children);
        // For the API and browser halves of bench/browse.sh: /api/v1/entries/{folder_id}/children, /files/{root_id}/...
        ScanCommand.Print("folder_id", folderId);
        ScanCommand.Print("root_id", rootIdFound);
        ScanCommand.Print("sort", $"{sort.ToString().ToLowerInvariant()}{(descending ? " desc" : "")}");
        ScanCommand.Print("page_size", pageSize);
        ScanCommand.Print("pages", pages.Count);
        ScanCommand.Print("query_first_page_ms", ms(pages[0]));
        ScanCommand.Print("query_last_page_ms", ms(pages[^1]));
        ScanCommand.Print("query_page_median_ms", ms(pages.Order().ElementAt(pages.Count / 2)));
        ScanCommand.Print("query_page_max_ms", ms(pages.Max()));
        ScanCommand.Print("query_all_pages_ms", ms(total.Elapsed.TotalMilliseconds));
        return 0;
    }
}

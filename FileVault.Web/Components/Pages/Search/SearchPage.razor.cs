using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Search;
using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web;

namespace FileVault.Web.Components.Pages.Search;

/// <summary>
/// The search page. The URL is the search (the API's parameters): every change navigates, so a search is a link to
/// share and Back goes to the previous one; the page only reads its URL and shows what Core finds for the user.
/// </summary>
public partial class SearchPage
{
    private AccessSubject? _subject;
    private SearchQuery _query = new();
    private SearchResults? _results;
    private EntryDetails? _scope;
    private string? _text;
    private string? _error;
    private CancellationTokenSource? _running;

    [SupplyParameterFromQuery(Name = "q")] public string? Q { get; set; }
    [SupplyParameterFromQuery(Name = "ext")] public string? Ext { get; set; }
    [SupplyParameterFromQuery(Name = "type")] public string? Type { get; set; }
    [SupplyParameterFromQuery(Name = "minSize")] public string? MinSize { get; set; }
    [SupplyParameterFromQuery(Name = "maxSize")] public string? MaxSize { get; set; }
    [SupplyParameterFromQuery(Name = "modifiedFrom")] public string? ModifiedFrom { get; set; }
    [SupplyParameterFromQuery(Name = "modifiedTo")] public string? ModifiedTo { get; set; }
    [SupplyParameterFromQuery(Name = "folder")] public string? Folder { get; set; }
    [SupplyParameterFromQuery(Name = "sort")] public string? Sort { get; set; }
    [SupplyParameterFromQuery(Name = "desc")] public string? Desc { get; set; }
    [SupplyParameterFromQuery(Name = "offset")] public string? Offset { get; set; }
    [SupplyParameterFromQuery(Name = "pageSize")] public string? PageSize { get; set; }
    [SupplyParameterFromQuery(Name = "camera")] public string? Camera { get; set; }
    [SupplyParameterFromQuery(Name = "takenFrom")] public string? TakenFrom { get; set; }
    [SupplyParameterFromQuery(Name = "takenTo")] public string? TakenTo { get; set; }
    [SupplyParameterFromQuery(Name = "after")] public string? After { get; set; }

    [Inject] private EntrySearch Search { get; set; } = default!;
    [Inject] private CatalogBrowser Browser { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private UserTimeZone TimeZone { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        // A newer URL replaces a search still running for an older one.
        await (_running?.CancelAsync() ?? Task.CompletedTask);
        _running?.Dispose();
        _running = new CancellationTokenSource();
        var cancellation = _running.Token;

        _subject ??= await AuthenticationState.ActorAsync();
        // "modifiedFrom=2026-12-01" is the reader's midnight: their browser's zone, not the server's.
        var zone = await TimeZone.ResolveAsync();
        _text = Q;
        _error = null;
        _results = null;
        var parsed = new SearchParameters(Q, Ext, Type, MinSize, MaxSize, ModifiedFrom, ModifiedTo, Folder, Sort, Desc, Offset, PageSize, Camera, TakenFrom, TakenTo,
                After)
            .ToQuery(zone);
        if (!parsed.IsSuccess)
        {
            _query = new SearchQuery(Q);
            _error = L.ErrorText(parsed.Error!);
            return;
        }

        _query = parsed.Value;
        try
        {
            if (_query.FolderId is not { } folderId)
            {
                _scope = null;
            }
            else if (_scope?.Id != folderId)
            {
                // For the scope's name; the search itself decides whether the user may read it.
                _scope = await Browser.GetAsync(_subject, folderId, cancellation);
            }

            // While prerendering the reader's zone is not known yet: a day filter waits for the interactive render.
            var daysUnknown = !TimeZone.IsKnown && (_query.ModifiedFrom is not null || _query.ModifiedUntil is not null);
            if (!IsStart && !daysUnknown)
            {
                var found = await Search.SearchAsync(_subject, _query, cancellation);
                _results = found.IsSuccess ? found.Value : null;
                _error = found.IsSuccess ? null : L.ErrorText(found.Error!);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // A newer URL's search shows its own results.
        }
    }

    /// <summary>Nothing typed or chosen yet (a folder alone is where to search, not what): the page invites a search instead of listing everything.</summary>
    private bool IsStart => (_query with { FolderId = null }).IsEmpty;

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await SubmitAsync();
        }
    }

    private Task SubmitAsync() => GoAsync(_query with { Text = _text, Offset = 0, After = null });

    // A filter chosen after typing searches for what the box holds, submitted or not.
    private Task FilterAsync(SearchQuery query) => GoAsync(query with { Text = _text });

    private Task PageAsync(int page) => GoAsync(ForPage(_query, _results?.Next, page));

    /// <summary>
    /// The search that shows page <paramref name="page"/> (from 1) of <paramref name="query"/>'s results. The next page
    /// starts after the last row shown (the results' <paramref name="next"/> cursor): as cheap far down as on page 2. Any
    /// other page is a jump by offset, which reads every row before it, so offsets stop at
    /// <see cref="SearchQuery.TotalCap"/>: a page past it that is not the next one becomes the furthest page a jump
    /// reaches (the list says that pages past it go one at a time) instead of an error.
    /// </summary>
    internal static SearchQuery ForPage(SearchQuery query, string? next, int page)
    {
        var current = (query.Start / query.PageSize) + 1;
        if (page == current + 1 && next is not null && SearchCursor.Parse(next) is { IsSuccess: true } cursor)
        {
            return query with { Offset = 0, After = cursor.Value };
        }

        var offset = (long)(Math.Max(page, 1) - 1) * query.PageSize;
        return query with { Offset = (int)Math.Min(offset, SearchQuery.TotalCap / query.PageSize * query.PageSize), After = null };
    }

    private Task GoAsync(SearchQuery query)
    {
        Navigation.NavigateTo(Link(query));
        return Task.CompletedTask;
    }

    /// <summary>The search page's URL for a query: the whole search, so it can be shared and Back returns to it.</summary>
    private string Link(SearchQuery query)
    {
        var parameters = SearchParameters.From(query, TimeZone.Zone).ToQueryString();
        return parameters.Length == 0 ? "/search" : "/search?" + parameters;
    }

    public void Dispose()
    {
        _running?.Cancel();
        _running?.Dispose();
        GC.SuppressFinalize(this);
    }
}

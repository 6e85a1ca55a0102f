using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Media;
using Microsoft.AspNetCore.Components;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>What the photo viewer asks of the list: where an entry stands, and the next image before or after it in list order.</summary>
public partial class EntryList
{
    private const int ViewerPage = 200;
    private ElementReference _listElement;

    // A folder of 100,000 documents with a photo at each end must not make one key press read it all: 20 pages at most.
    private const int ViewerMaxPages = 20;

    /// <summary>The entry's place in the list as sorted now; -1 when it is not among the loaded rows.</summary>
    public int IndexOf(long entryId) => _loaded.FirstOrDefault(pair => pair.Value.Id == entryId) is { Value: not null } found ? found.Key : -1;

    /// <summary>The first image after (<paramref name="step"/> 1) or before (-1) list position <paramref name="from"/>, read in pages with the list's sort; null at the end.</summary>
    public async Task<(int Index, BrowseItem Item)?> NextImageAsync(int from, int step, CancellationToken cancellationToken = default)
    {
        var index = from + Math.Sign(step);
        for (var page = 0; page < ViewerMaxPages && index >= 0 && index < _total; page++)
        {
            var start = step > 0 ? index : Math.Max(0, index - ViewerPage + 1);
            var (items, _) = await Browser.WindowAsync(Subject, FolderId, _sort, _descending, start, ViewerPage, cancellationToken);
            if (items.Count == 0)
            {
                return null;
            }

            if (step > 0)
            {
                for (var i = index - start; i < items.Count; i++)
                {
                    if (IsImage(items[i]))
                    {
                        return (start + i, items[i]);
                    }
                }

                index = start + items.Count;
            }
            else
            {
                for (var i = Math.Min(index - start, items.Count - 1); i >= 0; i--)
                {
                    if (IsImage(items[i]))
                    {
                        return (start + i, items[i]);
                    }
                }

                index = start - 1;
            }
        }

        return null;
    }

    /// <summary>Gives the list the keyboard again (the viewer closed).</summary>
    public ValueTask FocusAsync() => _listElement.FocusAsync();

    /// <summary>Whether the viewer opens this entry: a file whose extension FileVault makes thumbnails of.</summary>
    public static bool IsImage(BrowseItem item) => item.Kind == EntryKind.File && ThumbnailGenerator.IsImageExtension(item.Extension);
}

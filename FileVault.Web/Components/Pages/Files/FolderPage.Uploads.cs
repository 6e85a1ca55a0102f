using FileVault.Web.Components.Uploads;
using Microsoft.AspNetCore.Components;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// Uploading into the open folder: files and folders dropped onto the list (or onto a subfolder row) or picked through
/// the Upload menu go to the upload panel in the layout. Only where the user may write; Core refuses the rest anyway.
/// </summary>
public partial class FolderPage
{
    private ElementReference _uploadZone;
    private long? _uploadTarget;
    private string? _uploadZoneAttached;

    [Inject] private UploadSession Uploads { get; set; } = default!;

    /// <summary>Points the list's drop zone and inputs at the open folder, or at nothing where the user may not write.</summary>
    private async Task FollowUploadTargetAsync()
    {
        // No list on the page (an error, a root still indexing, nothing open): the render that shows one attaches to it.
        if (_error is not null || _folderId is null || _uploadZone.Id is null)
        {
            _uploadZoneAttached = null;
            return;
        }

        long? target = _canWrite ? _folderId : null;
        if (_uploadZoneAttached == _uploadZone.Id && target == _uploadTarget)
        {
            return;
        }

        _uploadZoneAttached = _uploadZone.Id;
        _uploadTarget = target;
        await Uploads.AttachAsync(_uploadZone, target);
    }
}

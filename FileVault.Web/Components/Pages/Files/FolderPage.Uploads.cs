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
    private bool _uploadAttached;

    [Inject] private UploadSession Uploads { get; set; } = default!;

    /// <summary>Points the list's drop zone and inputs at the open folder, or at nothing where the user may not write.</summary>
    private async Task FollowUploadTargetAsync()
    {
        if (_error is not null || _folderId is null)
        {
            _uploadAttached = false;
            return;
        }

        long? target = _canWrite ? _folderId : null;
        if (_uploadAttached && target == _uploadTarget)
        {
            return;
        }

        _uploadAttached = true;
        _uploadTarget = target;
        await Uploads.AttachAsync(_uploadZone, target);
    }
}

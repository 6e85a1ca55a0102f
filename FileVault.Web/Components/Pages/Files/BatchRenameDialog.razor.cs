using FileVault.Core.Browsing;
using FileVault.Core;
using FileVault.Core.Catalog;
using FileVault.Core.Operations;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

public partial class BatchRenameDialog
{
    // One key per dialog and attempt: a double click on Rename is one operation (R-OP-7); a retry after a refusal is a new one.
    private readonly string _idempotencyKey = Guid.NewGuid().ToString("N");
    private int _attempt;

    private string _find = "";
    private string _replace = "";
    private bool _ignoreCase;
    private bool _useRegex;
    private string _prefix = "";
    private string _suffix = "";
    private bool _numbering;
    private int _start = 1;
    private int _step = 1;
    private int _width = 1;
    private string _separator = "_";
    private NumberPosition _position = NumberPosition.Suffix;
    private bool _changeExtension;
    private string _extension = "";

    private BatchRenamePlan? _plan;
    private Error? _ruleError;
    private string? _error;
    private bool _busy;

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The entries to rename, in the order they are numbered.</summary>
    [Parameter, EditorRequired]
    public IReadOnlyList<BrowseItem> Items { get; set; } = [];

    /// <summary>Queues the batch with the rule and the dialog's idempotency key; the job's id closes the dialog.</summary>
    [Parameter, EditorRequired]
    public Func<BatchRenameRule, string, Task<Result<long>>> Submit { get; set; } = default!;

    protected override void OnParametersSet() => Preview();

    private BatchRenameRule Rule => new()
    {
        Find = _find ?? "",
        Replace = _replace ?? "",
        IgnoreCase = _ignoreCase,
        UseRegex = _useRegex,
        Prefix = _prefix ?? "",
        Suffix = _suffix ?? "",
        Numbering = _numbering ? new BatchNumbering(_start, _step, _width, _position, _separator ?? "") : null,
        NewExtension = _changeExtension ? _extension ?? "" : null,
    };

    private void Preview()
    {
        _error = null;
        var plan = BatchRenamePlanner.Plan(Items.Select(i => (i.Id, i.Name, i.Kind == EntryKind.Directory)).ToList(), Rule);
        _plan = plan.IsSuccess ? plan.Value : null;
        _ruleError = plan.Error;
    }

    private async Task SubmitAsync()
    {
        if (_busy || _plan is not { CanApply: true })
        {
            return;
        }

        _busy = true;
        var result = await Submit(Rule, $"{_idempotencyKey}:{_attempt}");
        _busy = false;
        if (result.IsSuccess)
        {
            Dialog.Close(DialogResult.Ok(result.Value));
        }
        else
        {
            _attempt++;
            _error = L.Describe(result.Error!);
        }
    }
}

using System.Globalization;
using Bunit;
using FileVault.Core.Browsing;
using FileVault.Core;
using FileVault.Core.Catalog;
using FileVault.Core.Operations;
using FileVault.Web.Components.Pages.Files;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace FileVault.Tests.Components;

/// <summary>The batch rename dialog previews every keystroke and lets a batch go only when every new name is usable.</summary>
/// <remarks>The bUnit context is disposed asynchronously: MudBlazor's dialog services are IAsyncDisposable only.</remarks>
public sealed class BatchRenameDialogTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = MudTestContext.Create();
    private static readonly IReadOnlyList<BrowseItem> Items =
    [
        Item(11, "보고서.hwp", EntryKind.File),
        Item(12, "b.txt", EntryKind.File),
        Item(13, "사진", EntryKind.Directory),
    ];

    private readonly CultureInfo _previousCulture = CultureInfo.CurrentUICulture;
    private BatchRenameRule? _submitted;
    private Result<long> _answer = 1;

    public Task InitializeAsync()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = _previousCulture;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public async Task The_preview_follows_the_prefix_and_the_numbering_as_they_are_typed()
    {
        var dialog = await OpenAsync();

        dialog.Find("#batch-prefix").Input("2025_");
        dialog.Find("#batch-numbering").Change(true);
        dialog.Find("#batch-width").Input("2");

        Assert.Equal(["2025_보고서_01.hwp", "2025_b_02.txt", "2025_사진_03"], NewNames(dialog));
        Assert.Equal(["보고서.hwp", "b.txt", "사진"], dialog.FindAll("#batch-preview .fv-rename-old").Select(td => td.TextContent));
        Assert.Contains("3개의 이름이 바뀌고 0개는 그대로", dialog.Find("#batch-summary").TextContent, StringComparison.Ordinal);
        Assert.False(ConfirmIsDisabled(dialog));
    }

    [Fact]
    public async Task A_bad_new_name_is_highlighted_with_its_reason_and_the_confirm_button_waits_until_it_is_fixed()
    {
        var dialog = await OpenAsync();

        dialog.Find("#batch-prefix").Input("a/");

        var rows = dialog.FindAll("#batch-preview tr[data-entry-id]");
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.Contains("fv-rename-problem", row.ClassName, StringComparison.Ordinal));
        Assert.All(rows, row => Assert.Equal("path.separator_in_name", row.GetAttribute("data-problem")));
        Assert.Contains("/", rows[0].QuerySelector(".fv-rename-reason")!.TextContent, StringComparison.Ordinal);
        Assert.True(ConfirmIsDisabled(dialog));

        dialog.Find("#batch-prefix").Input("a_");

        Assert.DoesNotContain(dialog.FindAll("#batch-preview tr[data-entry-id]"), row => row.ClassName?.Contains("fv-rename-problem", StringComparison.Ordinal) == true);
        Assert.False(ConfirmIsDisabled(dialog));
    }

    [Fact]
    public async Task Duplicates_within_the_batch_are_marked_on_each_row_that_collides()
    {
        var dialog = await OpenAsync();

        dialog.Find("#batch-regex").Change(true);
        dialog.Find("#batch-find").Input(@"^.*\.(hwp|txt)$");
        dialog.Find("#batch-replace").Input("같은 이름");

        var problems = dialog.FindAll("#batch-preview tr[data-entry-id]").Select(row => row.GetAttribute("data-problem") ?? "").ToArray();
        Assert.Equal(["rename.duplicate", "rename.duplicate", "rename.unchanged"], problems);
        Assert.True(ConfirmIsDisabled(dialog));
    }

    [Fact]
    public async Task An_invalid_regex_is_explained_instead_of_a_preview()
    {
        var dialog = await OpenAsync();

        dialog.Find("#batch-regex").Change(true);
        dialog.Find("#batch-find").Input("(unclosed");

        Assert.Equal("정규식이 올바르지 않습니다.", dialog.Find("#batch-rule-error").TextContent.Trim());
        Assert.Empty(dialog.FindAll("#batch-preview"));
        Assert.True(ConfirmIsDisabled(dialog));
    }

    [Fact]
    public async Task A_rule_that_changes_nothing_cannot_be_confirmed()
    {
        var dialog = await OpenAsync();

        var problems = dialog.FindAll("#batch-preview tr[data-entry-id]").Select(row => row.GetAttribute("data-problem") ?? "").ToArray();
        Assert.Equal([BatchRenamePlanner.UnchangedCode, BatchRenamePlanner.UnchangedCode, BatchRenamePlanner.UnchangedCode], problems);
        Assert.True(ConfirmIsDisabled(dialog));
    }

    [Fact]
    public async Task Confirming_sends_the_rule_as_previewed_and_a_refusal_keeps_the_dialog_open_with_the_reason()
    {
        _answer = new Error("name.conflict", "\"x_b.txt\" exists");
        var dialog = await OpenAsync();
        dialog.Find("#batch-prefix").Input("x_");
        dialog.Find("#batch-change-extension").Change(true);
        dialog.Find("#batch-extension").Input("md");

        await dialog.Find("#batch-rename-confirm").ClickAsync(new());

        Assert.Equal(("x_", "md", (BatchNumbering?)null), (_submitted?.Prefix, _submitted?.NewExtension, _submitted?.Numbering));
        Assert.Contains("이미 있습니다", dialog.Find("#batch-error").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(dialog.FindAll("#batch-preview"));
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync()
    {
        var provider = _bunit.Render<MudDialogProvider>();
        var parameters = new DialogParameters<BatchRenameDialog>
        {
            { d => d.Items, Items },
            {
                d => d.Submit, (rule, _) =>
                {
                    _submitted = rule;
                    return Task.FromResult(_answer);
                }
            },
        };
        await provider.InvokeAsync(() => _bunit.Services.GetRequiredService<IDialogService>().ShowAsync<BatchRenameDialog>("rename", parameters));
        return provider;
    }

    private static string[] NewNames(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.FindAll("#batch-preview .fv-rename-new").Select(td => td.TextContent).ToArray();

    private static bool ConfirmIsDisabled(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.Find("#batch-rename-confirm").HasAttribute("disabled");

    private static BrowseItem Item(long id, string name, EntryKind kind) =>
        new(id, name, kind, 0, DateTimeOffset.UnixEpoch, EntryName.Extension(name), null, null, true, null, null);
}

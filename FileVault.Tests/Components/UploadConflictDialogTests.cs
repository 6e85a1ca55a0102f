using System.Globalization;
using Bunit;
using FileVault.Core.Operations;
using FileVault.Web.Components.Uploads;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using FileVault.Core.Jobs;

namespace FileVault.Tests.Components;

/// <summary>
/// The question an upload asks before it sends a byte when names are taken: per file skip, keep both or replace (only
/// where the preflight allows replace), or one answer for all.
/// </summary>
public sealed class UploadConflictDialogTests : IAsyncLifetime
{
    private static readonly UploadConflict[] Conflicts = [new("보고서.docx", Replaceable: true), new("사진/기밀.jpg", Replaceable: false)];
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previousCulture = CultureInfo.CurrentUICulture;

    public UploadConflictDialogTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = _previousCulture;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public async Task Each_file_gets_its_own_choice_and_replace_only_where_it_is_allowed()
    {
        var (provider, dialog) = await ShowAsync();
        var replaceable = provider.FindAll("[data-name='보고서.docx'] input[type=radio]");
        var notReplaceable = provider.FindAll("[data-name='사진/기밀.jpg'] input[type=radio]");

        Assert.Equal(3, replaceable.Count);
        Assert.Equal(2, notReplaceable.Count);
        await replaceable[2].ClickAsync(new());
        await provider.FindAll("[data-name='사진/기밀.jpg'] input[type=radio]")[1].ClickAsync(new());
        await provider.Find("#upload-conflict-as-chosen").ClickAsync(new());

        var choices = Assert.IsAssignableFrom<IReadOnlyDictionary<string, ConflictChoice>>((await dialog.Result)!.Data);
        Assert.Equal(ConflictChoice.Replace, choices["보고서.docx"]);
        Assert.Equal(ConflictChoice.KeepBoth, choices["사진/기밀.jpg"]);
    }

    [Fact]
    public async Task Replace_all_replaces_what_may_be_replaced_and_skips_the_rest()
    {
        var (provider, dialog) = await ShowAsync();

        await provider.Find("#upload-conflict-replace-all").ClickAsync(new());

        var choices = Assert.IsAssignableFrom<IReadOnlyDictionary<string, ConflictChoice>>((await dialog.Result)!.Data);
        Assert.Equal(ConflictChoice.Replace, choices["보고서.docx"]);
        Assert.Equal(ConflictChoice.Skip, choices["사진/기밀.jpg"]);
    }

    [Fact]
    public async Task Without_a_replaceable_name_there_is_no_replace_all()
    {
        var (provider, dialog) = await ShowAsync(Conflicts[1..]);

        Assert.Empty(provider.FindAll("#upload-conflict-replace-all"));
        await provider.Find("#upload-conflict-keep-all").ClickAsync(new());

        var choices = Assert.IsAssignableFrom<IReadOnlyDictionary<string, ConflictChoice>>((await dialog.Result)!.Data);
        Assert.Equal(ConflictChoice.KeepBoth, Assert.Single(choices).Value);
    }

    private async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> ShowAsync(UploadConflict[]? conflicts = null)
    {
        var provider = _bunit.Render<MudDialogProvider>();
        var parameters = new DialogParameters<UploadConflictDialog> { { d => d.Conflicts, conflicts ?? Conflicts } };
        var dialog = await provider.InvokeAsync(() => _bunit.Services.GetRequiredService<IDialogService>().ShowAsync<UploadConflictDialog>("이미 있는 이름", parameters));
        return (provider, dialog);
    }
}

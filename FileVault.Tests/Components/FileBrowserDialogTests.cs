using System.Globalization;
using Bunit;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using FileVault.Web.Components.Pages.Files;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using FileVault.Core.Jobs;

namespace FileVault.Tests.Components;

/// <summary>
/// The file browser's folder picker, conflict question and folder tree, rendered with bUnit over a real catalog: what a
/// user may see and choose is decided by Core's access rules, not by the component.
/// </summary>
public sealed class FileBrowserDialogTests : IAsyncLifetime
{
    private static readonly string[] Folders =
        ["영업부/2024/1분기", "영업부/2025", "영업부/기밀", "인사부", .. Enumerable.Range(0, 105).Select(i => $"영업부/2024/1분기/현장{i:D3}")];
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previousCulture = CultureInfo.CurrentUICulture;
    private ScanHarness _harness = default!;
    private AsyncServiceScope _scope;
    private AccessSubject _user = default!;

    // Here, not in the async InitializeAsync: a culture set inside an async method does not outlive it.
    public FileBrowserDialogTests() => CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            foreach (var folder in Folders)
            {
                Directory.CreateDirectory(Path.Combine(root, folder));
            }

            File.WriteAllText(Path.Combine(root, "영업부", "견적서.xlsx"), "x");
        });
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _user = await HarnessUsers.CreateAsync(_harness, "picker@t", Roles.User);
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant { RootId = _harness.RootId, RelativePath = "영업부", UserId = _user.UserId, Permissions = Permission.Read | Permission.Write });
            db.FolderGrants.Add(new FolderGrant { RootId = _harness.RootId, RelativePath = "영업부/기밀", UserId = _user.UserId, Permissions = Permission.Read, Effect = GrantEffect.Deny });
            await db.SaveChangesAsync();
        }

        _scope = _harness.CreateScope();
        _bunit.Services.AddSingleton(_scope.ServiceProvider.GetRequiredService<CatalogBrowser>());
    }

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = _previousCulture;
        await _bunit.DisposeAsync();
        await _scope.DisposeAsync();
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task The_picker_starts_in_the_current_folder_and_lists_only_the_subfolders_the_user_may_read()
    {
        var (provider, _) = await OpenPickerAsync("영업부", excluded: []);

        provider.WaitForAssertion(() => Assert.Equal(["2024", "2025"], PickerNames(provider)));
        Assert.EndsWith("/영업부", provider.Find("#picker-location").TextContent.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_being_moved_cannot_be_entered_nor_chosen_and_up_stops_at_the_users_entry_point()
    {
        var moving = await _harness.IdOfAsync("영업부/2024");
        var (provider, dialog) = await OpenPickerAsync("영업부", excluded: [moving]);
        provider.WaitForAssertion(() => Assert.Equal(2, PickerNames(provider).Length));

        await provider.Find("[data-picker-name='2024']").ClickAsync(new());
        Assert.EndsWith("/영업부", provider.Find("#picker-location").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Contains("fv-disabled", provider.Find("[data-picker-name='2024']").ClassName, StringComparison.Ordinal);

        // Above the granted folder the user may read nothing: the entry points, with nothing to choose.
        await provider.Find("#picker-up").ClickAsync(new());
        provider.WaitForAssertion(() => Assert.Equal(["영업부"], PickerNames(provider)));
        Assert.True(provider.Find("#picker-choose").HasAttribute("disabled"));

        await provider.Find("[data-picker-name='영업부']").ClickAsync(new());
        provider.WaitForAssertion(() => Assert.Equal(2, PickerNames(provider).Length));
        await provider.Find("[data-picker-name='2025']").ClickAsync(new());
        provider.WaitForAssertion(() => Assert.EndsWith("/영업부/2025", provider.Find("#picker-location").TextContent.Trim(), StringComparison.Ordinal));
        await provider.Find("#picker-choose").ClickAsync(new());

        var result = await dialog.Result;
        Assert.Equal(await _harness.IdOfAsync("영업부/2025"), Assert.IsType<long>(result!.Data));
    }

    [Theory]
    [InlineData(true, "#conflict-replace", ConflictChoice.Replace)]
    [InlineData(true, "#conflict-keep-both", ConflictChoice.KeepBoth)]
    [InlineData(false, "#conflict-skip", ConflictChoice.Skip)]
    public async Task The_conflict_question_lists_the_names_and_answers_with_the_choice(bool allowReplace, string button, ConflictChoice expected)
    {
        var provider = _bunit.Render<MudDialogProvider>();
        var names = Enumerable.Range(1, 12).Select(i => $"회의록 {i}.txt").ToList();
        var parameters = new DialogParameters<ConflictDialog> { { d => d.Names, names }, { d => d.AllowReplace, allowReplace } };
        var dialog = await provider.InvokeAsync(() => _bunit.Services.GetRequiredService<IDialogService>().ShowAsync<ConflictDialog>("충돌", parameters));

        Assert.Equal(10, provider.FindAll("#conflict-names .mud-list-item").Count);
        Assert.Contains("외 2개", provider.Markup, StringComparison.Ordinal);
        Assert.Equal(allowReplace, provider.FindAll("#conflict-replace").Count == 1);
        await provider.Find(button).ClickAsync(new());

        Assert.Equal(expected, (await dialog.Result)!.Data);
    }

    [Fact]
    public void The_folder_tree_opens_the_branch_to_the_current_folder_and_hides_a_denied_one()
    {
        var tree = _bunit.Render<FolderTree>(p => p
            .Add(t => t.Subject, _user)
            .Add(t => t.CurrentRootId, _harness.RootId)
            .Add(t => t.CurrentPath, "영업부/2024"));

        tree.WaitForAssertion(() => Assert.Equal(["영업부", "영업부/2024", "영업부/2024/1분기", "영업부/2025"],
            tree.FindAll("[data-tree-path]").Select(n => n.GetAttribute("data-tree-path")!)));
        Assert.Equal("영업부/2024", tree.Find(".fv-current").GetAttribute("data-tree-path"));
    }

    [Fact]
    public void A_folder_with_more_than_a_hundred_subfolders_shows_a_hundred_and_a_link_to_the_rest()
    {
        var tree = _bunit.Render<FolderTree>(p => p
            .Add(t => t.Subject, _user)
            .Add(t => t.CurrentRootId, _harness.RootId)
            .Add(t => t.CurrentPath, "영업부/2024/1분기"));

        tree.WaitForAssertion(() => Assert.Equal(100, tree.FindAll("[data-tree-path^='영업부/2024/1분기/']").Count));
        Assert.Equal("현장099", tree.FindAll("[data-tree-path^='영업부/2024/1분기/']")[^1].GetAttribute("data-tree-path")!.Split('/')[^1]);
        Assert.Single(tree.FindAll(".fv-tree-more"));
    }

    private async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenPickerAsync(string start, long[] excluded)
    {
        var provider = _bunit.Render<MudDialogProvider>();
        var parameters = new DialogParameters<FolderPickerDialog>
        {
            { d => d.Subject, _user },
            { d => d.StartRootId, _harness.RootId },
            { d => d.StartPath, start },
            { d => d.ConfirmText, "이동" },
            { d => d.Excluded, excluded.ToHashSet() },
        };
        var dialog = await provider.InvokeAsync(() => _bunit.Services.GetRequiredService<IDialogService>().ShowAsync<FolderPickerDialog>("이동", parameters));
        return (provider, dialog);
    }

    private static string[] PickerNames(IRenderedComponent<MudDialogProvider> provider) =>
        provider.FindAll("[data-picker-name]").Select(n => n.GetAttribute("data-picker-name")!).ToArray();
}

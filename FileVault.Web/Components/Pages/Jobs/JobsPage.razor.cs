using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Jobs;

/// <summary>
/// The signed-in user's jobs (an admin's: optionally everyone's), newest first and at most <see cref="JobQueries.MaxList"/>,
/// following job events live. Access is decided by <see cref="JobQueries"/>; the page only forwards clicks.
/// </summary>
public partial class JobsPage
{
    private AccessSubject? _subject;
    private List<JobListItem>? _jobs;
    private bool _everyone;
    private CircuitCulture _culture;
    private bool _subscribed;

    [Inject] private JobQueries Queries { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _culture = CircuitCulture.Capture();
        if (RendererInfo.IsInteractive)
        {
            // Before the first await: no event between the list's query and the subscription is lost.
            Events.Changed += OnJobChanged;
            _subscribed = true;
        }

        _subject = AccessSubject.FromPrincipal((await AuthenticationState).User);
        await LoadAsync();
    }

    private async Task LoadAsync() =>
        _jobs = _subject is null ? [] : (await Queries.ListAsync(_subject, _everyone, JobQueries.MaxList, CancellationToken.None)).ToList();

    private async Task ShowEveryoneAsync(bool everyone)
    {
        _everyone = everyone;
        await LoadAsync();
    }

    // Raised on the thread that published the event: render in this circuit, in its culture.
    private void OnJobChanged(JobEvent change)
    {
        if (_subject is not { } subject || (change.OwnerId != subject.UserId && !(_everyone && subject.IsAdministrator)))
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            _culture.Apply();
            await ApplyAsync(subject, change);
            StateHasChanged();
        });
    }

    private async Task ApplyAsync(AccessSubject subject, JobEvent change)
    {
        if (_jobs is null)
        {
            return;
        }

        var index = _jobs.FindIndex(j => j.Id == change.Id);
        if (index >= 0 && !change.IsFinished && _jobs[index].Status == change.Status)
        {
            // Progress: the event carries all the row shows.
            _jobs[index] = _jobs[index].With(change);
            return;
        }

        // A new job, or one that changed state: read its row (finish time, summary, whether it can be retried).
        var fresh = await Queries.GetAsync(subject, change.Id, CancellationToken.None);
        if (!fresh.IsSuccess)
        {
            return;
        }

        index = _jobs.FindIndex(j => j.Id == change.Id);
        if (index >= 0)
        {
            _jobs[index] = fresh.Value;
            return;
        }

        var position = _jobs.FindIndex(j => j.Id < change.Id);
        _jobs.Insert(position < 0 ? _jobs.Count : position, fresh.Value);
        if (_jobs.Count > JobQueries.MaxList)
        {
            _jobs.RemoveAt(_jobs.Count - 1);
        }
    }

    private async Task CancelAsync(JobListItem job)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Jobs_CancelTitle"], L["Jobs_CancelText"],
            yesText: L["Jobs_CancelConfirm"], cancelText: L["Jobs_Keep"]);
        if (confirmed == true && _subject is not null)
        {
            Report(await Queries.CancelAsync(_subject, job.Id, CancellationToken.None), "Jobs_Cancelled");
        }
    }

    private async Task RetryAsync(JobListItem job)
    {
        if (_subject is not null)
        {
            Report(await Queries.RetryAsync(_subject, job.Id, CancellationToken.None), "Jobs_Retried");
        }
    }

    private void Report(Result<JobListItem> result, string successKey)
    {
        if (!result.IsSuccess)
        {
            Snackbar.Add(L.ErrorText(result.Error!), Severity.Warning);
            return;
        }

        var index = _jobs?.FindIndex(j => j.Id == result.Value.Id) ?? -1;
        if (index >= 0)
        {
            _jobs![index] = result.Value;
        }

        Snackbar.Add(L[successKey], Severity.Info);
    }

    public void Dispose()
    {
        if (_subscribed)
        {
            Events.Changed -= OnJobChanged;
        }

        GC.SuppressFinalize(this);
    }
}

using System.Security.Claims;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

public sealed record DescriptionUpdate(string? Description);

public static class EntryEndpoints
{
    public static RouteGroupBuilder MapEntryEndpoints(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("").RequireAuthorization(Policies.Files).WithTags("Files");

        files.MapGet("/roots", async (ClaimsPrincipal user, CatalogBrowser browser, CancellationToken ct) =>
                TypedResults.Ok(await browser.EntryPointsAsync(user.Actor(), ct)))
            .WithName("ListEntryPoints")
            .WithSummary("The folders the caller can start browsing from: every root for admins, the granted folders for others.");

        files.MapGet("/entries/{id:long}", async Task<Results<Ok<EntryDetails>, ProblemHttpResult>> (
                long id, ClaimsPrincipal user, CatalogBrowser browser, CancellationToken ct) =>
                await browser.GetAsync(user.Actor(), id, ct) is { } entry
                    ? TypedResults.Ok(entry)
                    : ApiProblems.From("entry.not_found", "No such entry."))
            .WithName("GetEntry")
            .WithSummary("One entry with its metadata; an entry the caller cannot read is not found.");

        files.MapGet("/entries/{id:long}/children", async (
                long id, ClaimsPrincipal user, CatalogBrowser browser, CancellationToken ct,
                BrowseSort sort = BrowseSort.Name, bool desc = false, string? after = null, int pageSize = 200) =>
                (await browser.BrowseAsync(user.Actor(), new BrowseQuery(id, sort, desc, after, pageSize), ct)).ToOk())
            .WithName("ListChildren")
            .WithSummary("One page of a folder, folders first; pass the page's nextCursor as `after` for the next one.");

        files.MapPut("/entries/{id:long}/description", async (
                long id, DescriptionUpdate body, ClaimsPrincipal user, EntryService entries, CancellationToken ct) =>
                (await entries.UpdateDescriptionAsync(user.Actor(), id, body.Description, ct)).ToOk())
            .WithName("UpdateEntryDescription")
            .WithSummary($"Sets or clears an entry's description (at most 2000 characters); needs Write on its folder.");
        return api;
    }
}

using System.Data;
using System.Globalization;
using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace FileVault.Core.Search;

/// <summary>How a search found its candidates (docs/search.md); the engine chooses, tests may force one.</summary>
public enum SearchPlan
{
    /// <summary>Chosen by the engine from the token statistics and the size of the user's part of the tree.</summary>
    Auto = 0,

    /// <summary>The GIN token index gives every candidate; they are confirmed and sorted. For rare terms.</summary>
    Index,

    /// <summary>The sort's btree is walked in order until a page is found. For frequent terms and no terms.</summary>
    Walk,

    /// <summary>The rows under the folder scope or the user's granted folders are read by path. For a small part of the tree.</summary>
    Scope,

    /// <summary>The catalog itself, without the index: while the index catches up with a bulk change.</summary>
    Catalog,

    /// <summary>The photos whose EXIF matches the camera and taken-at filters (<c>entry_media</c>), for those filters without words.</summary>
    Photos,

    /// <summary>Meilisearch found the candidates; the catalog confirmed each one (docs/search.md, "Meilisearch").</summary>
    Meilisearch,
}

/// <summary>
/// Search on the catalog in PostgreSQL: every word a substring of the name key (or, for a 초성 word like ㅎㅇㄹ, a
/// syllable-by-initial match) or of the description, filtered, counted and paged in SQL on the rows the user may read
/// only (a total never counts what the user cannot see).
/// </summary>
/// <remarks>
/// <para>
/// Candidates come from the name index <c>entry_search</c> (<see cref="SearchIndexer"/>), read by one of three plans
/// chosen from how many rows the terms hit (<see cref="SearchStatistics"/>), never left to the planner's guess:
/// <see cref="SearchPlan.Index"/> for rare terms, <see cref="SearchPlan.Walk"/> for frequent ones (bounded, with the
/// index plan behind it when the walk finds too little: the "LIMIT trap"), <see cref="SearchPlan.Scope"/> when the
/// folder scope or the user's grants cover few rows.
/// </para>
/// <para>
/// The index may lag the catalog by the entries queued in <c>search_outbox</c>. Those are read from <c>entries</c>
/// and their index rows ignored, so a result is always the catalog as it is: a moved, renamed, trashed entry or a
/// revoked grant shows at once. Descriptions are not in the index: entries that have one are searched in the catalog
/// (a partial index keeps them few to read). Every statement runs in one repeatable-read, read-only transaction, so the
/// count and the page see the same catalog.
/// </para>
/// </remarks>
public sealed class PostgresSearch(
    IDbContextFactory<FileVaultDbContext> contexts, NpgsqlDataSource dataSource, AccessEvaluator access, SearchStatistics statistics)
{
    /// <summary>Queued entries read from the catalog beside the index; past this many, the catalog plan answers alone.</summary>
    internal const int PendingLimit = 5_000;

    /// <summary>Rows under the scope read at most by the scope plan.</summary>
    internal const int ScopePlanLimit = 150_000;

    /// <summary>Index rows a walk reads at most, however many its estimate asks for.</summary>
    internal const int WalkLimitMax = 400_000;

    /// <summary>
    /// A table row's cost in index entries read in order (a heap visit and a recheck against an index-only read,
    /// about 1 µs against 0.4 µs at 1M entries), and a GIN posting's (about 0.07 µs: three posting lists of 60,000
    /// intersected in 12 ms).
    /// </summary>
    private const double TableRowCost = 3;

    private const double PostingCost = 0.2;

    /// <summary>
    /// A match's cost, in the same units, when the GIN condition names the folders beside the words
    /// (<see cref="Compiled.FolderTokens"/>): the GIN index skips through the words' posting lists by the folders' and
    /// hands over only the matches inside them, each then visited in the table. Measured at 1M entries for a User with
    /// 10 folders (63,500 rows): 견, 회의, 보고서, report, ㅎㅇㄹ and a rare number cost 8–11 index rows a match.
    /// </summary>
    private const double FolderMatchCost = 9;

    /// <summary>Index rows a walk reads (plus ten per row of the page) before it gives way to the index plan.</summary>
    internal const int WalkLimit = 20_000;

    /// <summary>Matches past which the total is not counted but shown as "10,000+": three times the cap.</summary>
    private const int ManyMatches = 3 * (SearchQuery.TotalCap + 1);

    /// <summary>Index rows a sample reads (<see cref="Compiled.SampleCount"/>): 1% of a million-entry index.</summary>
    private const double SampleRows = 10_000;

    /// <summary>Matches a sample must hold before its estimate is trusted to say "more than <see cref="ManyMatches"/>".</summary>
    private const int SampleHitsNeeded = 100;

    /// <summary>Rarest tokens of a word given to the GIN index: more only cost posting-list reads.</summary>
    private const int TokensPerWord = 3;

    /// <summary>
    /// A pair of a word more than this many times as frequent as its rarest pair is not given to the GIN index: the pairs
    /// of one word come together (at 1M entries 보고 is in 114,454 names, 고서 in 39,316 and both in 39,316), so the
    /// frequent one narrows the candidates little and costs its whole posting list (1.8 of 6.6 ms of CPU for
    /// 보고서 + pdf).
    /// </summary>
    private const double PairFrequencyRatio = 2;

    public Task<Result<SearchResults>> SearchAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken) =>
        SearchAsync(subject, query, SearchPlan.Auto, cancellationToken);

    internal async Task<Result<SearchResults>> SearchAsync(
        AccessSubject subject, SearchQuery query, SearchPlan forcedPlan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var parsed = SearchCriteria.From(query);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }

        var criteria = parsed.Value;
        var scope = await ScopeAsync(subject, query, cancellationToken);
        if (!scope.IsSuccess)
        {
            return scope.Error!;
        }

        var (folder, grants) = scope.Value;
        var search = new Compiled(criteria, query, folder, grants);
        var snapshot = await statistics.GetAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        // JIT compiles for a plan's cost, and a plan chosen by switching others off costs 10^10: 200 ms spent compiling
        // a query that runs in one.
        await ExecuteAsync(connection, Session, cancellationToken);

        var pending = await ReadPendingAsync(connection, cancellationToken);
        var plan = forcedPlan;
        // A cursor with keys starts the page at its row: nothing before it is read. One without keys is an offset.
        var skip = query.After?.Key is null ? query.Start : 0;
        var needed = skip + query.PageSize;
        // Far more matches than the total counts: the statistics may tell for any plan, the plan choice's sample for more.
        search.HasManyMatches = search.CertainlyMoreThan(ManyMatches, snapshot);
        if (pending is null)
        {
            plan = SearchPlan.Catalog;
        }
        else if (plan == SearchPlan.Auto)
        {
            plan = await ChoosePlanAsync(connection, search, snapshot, needed, cancellationToken);
        }

        List<long> ids;
        int total;
        int? indexTotal = null;
        // Whether ids are the matches in their final order: the index alone, or the catalog alone, answered.
        var ordered = true;
        if (plan == SearchPlan.Catalog)
        {
            ids = await IdsAsync(connection, search.CatalogPage(needed), cancellationToken);
            total = await CountAsync(connection, search.CatalogCount(SearchQuery.TotalCap + 1), cancellationToken);
        }
        else
        {
            var pendingIds = pending!;
            var fromIndex = await IndexPageAsync(connection, search, snapshot, plan, needed + pendingIds.Length, cancellationToken);
            plan = fromIndex.Plan;
            // After the last row nothing is left to carry the total beside it: it is counted instead.
            indexTotal = fromIndex.Ids.Count == 0 && search.HasCursor ? null : fromIndex.Total;
            var pendingSet = pendingIds.ToHashSet();
            ids = [.. fromIndex.Ids.Where(id => !pendingSet.Contains(id))];
            var others = new List<long>();
            if (search.HasWords)
            {
                others.AddRange(await IdsAsync(connection, search.DescribedPage(needed, pendingIds), cancellationToken));
            }

            if (pendingIds.Length > 0)
            {
                others.AddRange(await IdsAsync(connection, search.PendingPage(needed, pendingIds), cancellationToken));
            }

            ordered = others.Count == 0;
            ids.AddRange(others);

            total = await TotalAsync(connection, search, snapshot, plan, indexTotal, pendingIds, cancellationToken);
        }

        var (hits, last) = ordered
            ? await PageAsync(connection, search, [.. ids.Skip(skip).Take(query.PageSize)], 0, query.PageSize, criteria, cancellationToken)
            : await PageAsync(connection, search, ids, skip, query.PageSize, criteria, cancellationToken);
        // Words typed with the wrong layout match nothing; a query that found something needs no other spelling, and
        // the suggestion's own search is not paid on every English word.
        var suggestion = total == 0 ? await SuggestAsync(connection, criteria, search, snapshot, cancellationToken) : null;
        await transaction.CommitAsync(cancellationToken);
        var end = query.Start + hits.Count;
        // A full page may have more after it; the count says when it certainly has not (a cursor's position is only
        // as good as the catalog was stable, so a position at or past an exact total only ends the walk).
        var next = last is { } key && hits.Count == query.PageSize && (total > SearchQuery.TotalCap || end < total)
            ? new SearchCursor(end, key with { Sort = query.Sort, Descending = query.SortsDescending }).Encode()
            : null;
        return new SearchResults(hits, Math.Min(total, SearchQuery.TotalCap), total > SearchQuery.TotalCap)
        {
            Next = next,
            Plan = plan,
            Suggestion = suggestion,
            IndexCatchingUp = pending is null,
        };
    }

    /// <summary>The folder scope (checked readable) and, for a User, the read grants as they are now.</summary>
    internal async Task<Result<SearchScope>> ScopeAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken)
    {
        (int RootId, string Path)? folder = null;
        Grants? grants = null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (query.FolderId is { } folderId)
        {
            var row = await db.Entries.AsNoTracking()
                .Where(e => e.Id == folderId && e.State == EntryState.Active)
                .Select(e => new { e.RootId, e.RelativePath, e.Kind })
                .SingleOrDefaultAsync(cancellationToken);
            if (row is null || !await access.CanReadAsync(subject, row.RootId, row.RelativePath, cancellationToken))
            {
                return SearchErrors.FolderNotFound;
            }

            if (row.Kind != EntryKind.Directory)
            {
                return SearchErrors.NotAFolder;
            }

            folder = (row.RootId, row.RelativePath);
        }

        if (!subject.IsAdministrator)
        {
            grants = await Grants.ReadAsync(db, subject.UserId, cancellationToken);
        }

        return new SearchScope(folder, grants);
    }

    /// <summary>
    /// Of candidates another engine found (in its order), the ones the catalog has now as active entries the subject
    /// may read, in the folder scope and meeting the query's filters, as hits in the given order. Names are not matched
    /// again: the other engine's matching (prefixes, typos) decides which names match.
    /// </summary>
    internal async Task<List<SearchHit>> RecheckAsync(
        SearchQuery query, SearchCriteria criteria, SearchScope scope, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var search = new Compiled(criteria, query, scope.Folder, scope.Grants);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await ExecuteAsync(connection, Session, cancellationToken);
        var hits = await ReadHitsAsync(connection, search.Rechecked([.. ids.Distinct()]), criteria, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var position = ids.Select((id, i) => (id, i)).GroupBy(x => x.id).ToDictionary(g => g.Key, g => g.First().i);
        return [.. hits.OrderBy(h => position[h.Id])];
    }

    /// <summary>The queued entries' ids, or null when there are more than <see cref="PendingLimit"/>.</summary>
    private static async Task<long[]?> ReadPendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT DISTINCT entry_id FROM (SELECT entry_id FROM search_outbox LIMIT @limit) o", connection);
        command.Parameters.AddWithValue("limit", PendingLimit * 2);
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids.Count > PendingLimit ? null : [.. ids];
    }

    /// <summary>
    /// The cheaper of the plans by the rows each would read: the index plan reads about the likely number of matches
    /// (and sorts them), a walk reads page ÷ selectivity rows of the sort's index, the scope plan every row under the
    /// scope. Estimates only choose; a walk that finds too little gives way to the index plan.
    /// </summary>
    private async Task<SearchPlan> ChoosePlanAsync(
        NpgsqlConnection connection, Compiled search, SearchStatistics.Snapshot snapshot, int needed, CancellationToken cancellationToken)
    {
        if (search.HasPhotoFilter && !search.HasWords)
        {
            return SearchPlan.Photos;
        }

        var hits = search.EstimateHits(snapshot);
        var total = Math.Max(snapshot.TotalRows, 1);
        if (!search.HasManyMatches && search.HasWords && !search.HasRanges && hits >= ManyMatches)
        {
            // The statistics only bound a word's matches from above (the rows of its rarest token); a sample of the
            // index measures them. It decides whether the total is worth counting (counting 10,001 matches of a
            // frequent word costs several times its page) and which plan is cheaper (a "frequent" number may be rare).
            var fraction = Math.Min(1, SampleRows / total);
            var found = await CountAsync(connection, search.SampleCount(fraction), cancellationToken);
            search.HasManyMatches = found >= SampleHitsNeeded && found / fraction >= ManyMatches;
            hits = Math.Max(found, 1) / fraction;
        }

        search.EstimatedHits = hits;
        var share = 1d;
        var inScope = double.PositiveInfinity;
        if (search.HasRanges)
        {
            inScope = await statistics.ScopeRowsAsync(
                search.RangesKey, () => CountAsync(connection, search.ScopeRowCount(ScopePlanLimit + 1), cancellationToken));
            // The part of the tree a walk may find rows in: a user granted a few folders reads every row of the name
            // index outside them too, and a walk needs that many more rows for its page.
            share = Math.Clamp(inScope / total, 1d / total, 1);
        }

        search.Share = share;
        var walkRows = hits <= 0 ? double.PositiveInfinity : needed * total / (hits * share);
        // The index plan intersects the tokens' posting lists, then visits the table for each match (only those in the
        // ranges when they are given beside the tokens), page and total in one statement.
        var indexRows = search.HasTokens ? hits * share : double.PositiveInfinity;
        // With the folders beside the words in the GIN condition, only the matches inside them are read from the table.
        var byFolders = search.HasRanges && search.HasTokens && search.FolderTokens.Length > 0;
        double IndexCost(double rows) => byFolders
            ? FolderMatchCost * rows
            : (PostingCost * search.Postings(snapshot)) + (TableRowCost * rows);
        var indexCost = search.HasTokens ? IndexCost(indexRows) : double.PositiveInfinity;
        // A walk's total is counted apart: up to the cap of matches, from the index's candidates.
        var walkCost = walkRows + (search.HasManyMatches
            ? 0
            : IndexCost(Math.Min(indexRows, SearchQuery.TotalCap + 1)));
        if (ScopeCountedWalk(search, inScope, hits * share, walkRows, Math.Min(indexCost, walkCost)))
        {
            return SearchPlan.Walk;
        }

        if (byFolders)
        {
            if (inScope <= ScopePlanLimit && inScope < indexCost)
            {
                return SearchPlan.Scope;
            }
        }
        else if (search.HasRanges)
        {
            // A user's ranges beside the tokens let PostgreSQL AND the two bitmaps, so only the matches in the user's
            // folders are read from the table: worth it when that saves more table rows than the ranges have entries.
            search.NarrowByRanges = search.HasTokens && hits * (1 - share) * TableRowCost > inScope;
            // The scope plan reads each row under the scope once from the path index, page and total together; a walk
            // finds the page cheaply but its total still reads the scope or the matches.
            // For a User the index plan's statement carries the grants twice (ranges and the rule), which PostgreSQL
            // plans poorly at times (200 ms where the intersection of bitmaps takes 25): it has to be clearly cheaper.
            var userMargin = search.IsUser ? 4 : 1;
            if (inScope <= ScopePlanLimit && inScope < userMargin * indexCost)
            {
                return SearchPlan.Scope;
            }
        }

        return indexCost <= walkCost ? SearchPlan.Index : SearchPlan.Walk;
    }

    /// <summary>
    /// Whether a walk for the page with its total counted from the rows under the scope (stopping at the cap) costs
    /// less than the scope plan and than <paramref name="otherCost"/>. The scope plan keeps every match of its subtrees
    /// for the window that counts them and the sort that pages them: with more than the cap of matches in a User's
    /// folders (type=images: 11,316 of 63,535 rows at 1M entries), that was a third of its time, where a walk finds the
    /// page in a few thousand rows of the name index and the count stops at 10,001. Only without words: a word's
    /// pattern test makes a walk's rows dearer, and the scope plan answers those well.
    /// </summary>
    private static bool ScopeCountedWalk(Compiled search, double inScope, double matchesInScope, double walkRows, double otherCost)
    {
        if (search.HasWords || !search.HasRanges || search.HasManyMatches || search.HasCursor || inScope > ScopePlanLimit)
        {
            return false;
        }

        var matches = Math.Max(matchesInScope, 1);
        var scopeCost = inScope + matches;
        var countRows = matches > SearchQuery.TotalCap ? inScope * (SearchQuery.TotalCap + 1) / matches : inScope;
        var cost = walkRows + countRows;
        search.CountByScope = cost < scopeCost && cost < otherCost;
        return search.CountByScope;
    }

    /// <summary>
    /// How many index rows a walk reads before it gives up: twice the rows the estimate says it needs (an estimate of
    /// matches errs high, so of rows needed low), at least <see cref="WalkLimit"/> plus ten a row, at most
    /// <see cref="WalkLimitMax"/>: past that the index plan is cheaper whatever the truth.
    /// </summary>
    private static int WalkBound(Compiled search, SearchStatistics.Snapshot snapshot, int needed)
    {
        var hits = search.EstimatedHits ?? search.EstimateHits(snapshot);
        var estimate = hits <= 0 ? double.PositiveInfinity : 2d * needed * Math.Max(snapshot.TotalRows, 1) / (hits * search.Share);
        return (int)Math.Clamp(estimate, WalkLimit + (10d * needed), WalkLimitMax);
    }

    /// <summary>The index's candidates for the page in order, the plan that found them, and (scope plan) how many index rows match.</summary>
    private async Task<(List<long> Ids, SearchPlan Plan, int? Total)> IndexPageAsync(
        NpgsqlConnection connection, Compiled search, SearchStatistics.Snapshot snapshot, SearchPlan plan, int needed, CancellationToken cancellationToken)
    {
        if (plan == SearchPlan.Photos && !search.HasPhotoFilter)
        {
            plan = SearchPlan.Walk;
        }

        if (plan == SearchPlan.Photos)
        {
            return (await IdsAsync(connection, search.PhotoPage(needed), cancellationToken), plan, null);
        }

        if (plan == SearchPlan.Walk)
        {
            var bound = WalkBound(search, snapshot, needed);
            var walked = await IdsAsync(connection, search.WalkPage(needed, bound, snapshot), cancellationToken);
            // A page short of rows after a bounded walk may have been cut short (the LIMIT trap): ask the index instead.
            if (walked.Count >= needed || snapshot.TotalRows <= bound)
            {
                return (walked, plan, null);
            }

            plan = search.HasTokens ? SearchPlan.Index : search.HasRanges ? SearchPlan.Scope : SearchPlan.Walk;
            if (plan == SearchPlan.Walk)
            {
                return (await IdsAsync(connection, search.WalkPage(needed, walkLimit: null, snapshot), cancellationToken), plan, null);
            }
        }

        if (plan == SearchPlan.Index && !search.HasTokens)
        {
            plan = search.HasRanges ? SearchPlan.Scope : SearchPlan.Walk;
            return await IndexPageAsync(connection, search, snapshot, plan, needed, cancellationToken);
        }

        if (plan == SearchPlan.Scope && !search.HasRanges)
        {
            plan = search.HasTokens ? SearchPlan.Index : SearchPlan.Walk;
            return await IndexPageAsync(connection, search, snapshot, plan, needed, cancellationToken);
        }

        var (ids, total) = await IdsAndTotalAsync(
            connection, plan == SearchPlan.Index ? search.IndexPage(needed, snapshot) : search.ScopePage(needed), cancellationToken);
        return (ids, plan, total);
    }

    private async Task<int> TotalAsync(
        NpgsqlConnection connection, Compiled search, SearchStatistics.Snapshot snapshot, SearchPlan plan, int? indexTotal, long[] pending,
        CancellationToken cancellationToken)
    {
        if (indexTotal is null && search.HasManyMatches)
        {
            // Counting 10,001 rows of a frequent word costs more than the page; the statistics or a sample measured
            // many more.
            return SearchQuery.TotalCap + 1;
        }

        var cap = SearchQuery.TotalCap + 1 + pending.Length;
        var fromIndex = indexTotal ?? await CountAsync(connection,
            plan == SearchPlan.Photos ? search.PhotoCount(cap)
            : plan == SearchPlan.Walk && search.CountByScope ? search.ScopeCount(cap)
            : search.IndexCount(cap, snapshot), cancellationToken);
        if (pending.Length > 0)
        {
            // Queued entries' index rows are stale: what they counted is replaced by what the catalog says.
            fromIndex -= await CountAsync(connection, search.IndexCountOf(pending), cancellationToken);
            fromIndex += await CountAsync(connection, search.PendingCount(pending), cancellationToken);
        }

        if (search.HasWords)
        {
            fromIndex += await CountAsync(connection, search.DescribedCount(SearchQuery.TotalCap + 1, pending), cancellationToken);
        }

        return fromIndex;
    }

    /// <summary>
    /// The page's rows from the catalog, ordered: <paramref name="ids"/> are candidates, the page starts at
    /// <paramref name="offset"/> of them. With them, the last row's sort keys (for the next page's cursor).
    /// </summary>
    private async Task<(List<SearchHit> Hits, SearchCursorKey? Last)> PageAsync(
        NpgsqlConnection connection, Compiled search, List<long> ids, int offset, int pageSize, SearchCriteria criteria, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return ([], null);
        }

        var statement = search.FinalPage([.. ids.Distinct()], offset, pageSize);
        await ExplainAsync(connection, statement, cancellationToken);
        var keys = new List<SearchCursorKey>();
        var hits = await ReadHitsAsync(connection, statement, criteria, cancellationToken, keys);
        return (hits, keys.Count == 0 ? null : keys[^1]);
    }

    /// <summary>The hits a statement reads; with <paramref name="keys"/>, each row's sort keys too (<see cref="Compiled.FinalPage"/>'s last two columns).</summary>
    private static async Task<List<SearchHit>> ReadHitsAsync(
        NpgsqlConnection connection, Statement statement, SearchCriteria criteria, CancellationToken cancellationToken, List<SearchCursorKey>? keys = null)
    {
        var hits = new List<SearchHit>();
        await using var command = statement.Command(connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var highlighted = criteria.Words.Where(w => !Hangul.HasInitialConsonant(w)).ToList();
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(1);
            var description = reader.IsDBNull(9) ? null : reader.GetString(9);
            var snippet = SearchHighlights.Snippet(description, criteria.Words);
            hits.Add(new SearchHit(
                reader.GetInt64(0), name, (EntryKind)reader.GetInt16(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(10) ? "" : reader.GetString(10),
                reader.GetInt64(7), CatalogChanges.ParentOf(reader.GetString(8)),
                SearchHighlights.Find(name, highlighted), snippet, snippet is null ? [] : SearchHighlights.Find(snippet, highlighted)));
            if (keys is not null)
            {
                var hit = hits[^1];
                keys.Add(new SearchCursorKey(SearchSort.Relevance, false, reader.GetInt32(12), reader.GetString(11), hit.Size, hit.ModifiedAt, hit.Id));
            }
        }

        return hits;
    }

    /// <summary>
    /// For words typed with the English layout on by mistake (ghldmlfhr), the Hangul they spell (회의록), when that
    /// finds something the user may read.
    /// </summary>
    private async Task<string?> SuggestAsync(
        NpgsqlConnection connection, SearchCriteria criteria, Compiled search, SearchStatistics.Snapshot snapshot, CancellationToken cancellationToken)
    {
        if (criteria.Words.Count == 0 || criteria.Words.Any(w => !w.Any(char.IsAsciiLetter)))
        {
            return null;
        }

        var converted = criteria.Words.Select(Hangul.FromEnglishLayout).ToList();
        if (converted.Any(w => w is null))
        {
            return null;
        }

        var words = converted.Select(w => EntryName.Key(w!)).ToList();
        var alternative = search.WithWords(words);
        var found = await CountAsync(connection, alternative.IndexCount(1, snapshot), cancellationToken);
        return found > 0 ? string.Join(' ', words) : null;
    }

    private async Task<List<long>> IdsAsync(NpgsqlConnection connection, Statement statement, CancellationToken cancellationToken) =>
        (await IdsAndTotalAsync(connection, statement, cancellationToken, withTotal: false)).Ids;

    /// <summary>
    /// The ids a statement returns in order and, <paramref name="withTotal"/>, the number of all its rows before the
    /// LIMIT that it returns as its second column beside each row (0 with no row).
    /// </summary>
    private Task<(List<long> Ids, int Total)> IdsAndTotalAsync(
        NpgsqlConnection connection, Statement statement, CancellationToken cancellationToken, bool withTotal = true) =>
        RunAsync(connection, statement, async command =>
        {
            var ids = new List<long>();
            var total = 0L;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
                total = withTotal ? reader.GetInt64(1) : total;
            }

            return (ids, (int)Math.Min(total, int.MaxValue));
        }, cancellationToken);

    private Task<int> CountAsync(NpgsqlConnection connection, Statement statement, CancellationToken cancellationToken) =>
        RunAsync(connection, statement,
            async command => Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>Runs a statement under its planner settings (explained first when a test asks), then resets them.</summary>
    private async Task<T> RunAsync<T>(NpgsqlConnection connection, Statement statement, Func<NpgsqlCommand, Task<T>> run, CancellationToken cancellationToken)
    {
        if (statement.Settings.Length > 0)
        {
            await ExecuteAsync(connection, statement.Settings, cancellationToken);
        }

        await ExplainAsync(connection, statement, cancellationToken);
        T result;
        await using (var command = statement.Command(connection))
        {
            result = await run(command);
        }

        await ResetAsync(connection, statement, cancellationToken);
        return result;
    }

    /// <summary>For tests: each statement's plan, under its settings, collected before it runs (EXPLAIN, not ANALYZE).</summary>
    internal List<string>? Explained { get; set; }

    private async Task ExplainAsync(NpgsqlConnection connection, Statement statement, CancellationToken cancellationToken)
    {
        if (Explained is null)
        {
            return;
        }

        await using var command = (statement with { Sql = "EXPLAIN " + statement.Sql }).Command(connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var plan = new StringBuilder();
        while (await reader.ReadAsync(cancellationToken))
        {
            plan.AppendLine(reader.GetString(0));
        }

        Explained.Add(plan.ToString());
    }

    private static async Task ResetAsync(NpgsqlConnection connection, Statement statement, CancellationToken cancellationToken)
    {
        if (statement.Settings.Length > 0)
        {
            await ExecuteAsync(connection, "RESET enable_seqscan; RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan", cancellationToken);
        }
    }

    /// <summary>
    /// A search's transaction: read only, no JIT, and each statement planned for its own values. The statements are
    /// prepared once used often (the data source's automatic preparation), and a prepared statement may otherwise switch
    /// to a generic plan, made without the values, after five runs: for a search a word's frequency decides the plan,
    /// so a plan made for an average word would read a frequent word's every row or walk a rare one's whole index.
    /// </summary>
    private const string Session = "SET TRANSACTION READ ONLY; SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where a search may look: the folder scope, and the grants of a User (null for an administrator).</summary>
    internal sealed record SearchScope((int RootId, string Path)? Folder, Grants? Grants);

    /// <summary>A user's read grants, as <see cref="ReadableEntries.WhereReadable"/> reads them.</summary>
    internal sealed record Grants(int[] AllowRoots, string[] AllowPaths, int[] DenyRoots, string[] DenyPaths)
    {
        public static async Task<Grants> ReadAsync(FileVaultDbContext db, Guid userId, CancellationToken cancellationToken)
        {
            var rows = await db.FolderGrants.AsNoTracking()
                .Where(g => (g.Permissions & Permission.Read) != 0
                    && (g.UserId == userId || db.GroupMembers.Any(m => m.UserId == userId && m.GroupId == g.GroupId)))
                .Select(g => new { g.RootId, g.RelativePath, g.Effect })
                .ToListAsync(cancellationToken);
            var allows = rows.Where(r => r.Effect == GrantEffect.Allow).ToList();
            var denies = rows.Where(r => r.Effect == GrantEffect.Deny).ToList();
            return new Grants([.. allows.Select(a => a.RootId)], [.. allows.Select(a => a.RelativePath)],
                [.. denies.Select(d => d.RootId)], [.. denies.Select(d => d.RelativePath)]);
        }
    }

    /// <summary>A SQL statement, its parameters, and the planner settings (SET LOCAL) it runs under.</summary>
    internal sealed record Statement(string Sql, IReadOnlyList<NpgsqlParameter> Parameters, string Settings = "")
    {
        public NpgsqlCommand Command(NpgsqlConnection connection)
        {
            var command = new NpgsqlCommand(Sql, connection);
            foreach (var parameter in Parameters)
            {
                command.Parameters.Add(parameter.Clone());
            }

            return command;
        }
    }

    /// <summary>
    /// One search turned into SQL text. Column names are the same in <c>entry_search</c> and <c>entries</c>, so each
    /// condition is written once for an alias; only the id column differs (<c>entry_id</c> and <c>id</c>).
    /// </summary>
    internal sealed class Compiled
    {
        private const string ForceIndex = "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off";
        private const string ForceWalk = "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off";
        private const string ForceScope = "SET LOCAL enable_seqscan = off";

        /// <summary>Allows written into a statement as constants; a user with more is checked by a join (see <see cref="Readable"/>).</summary>
        private const int InlineGrantLimit = 64;

        private readonly SearchCriteria _criteria;
        private readonly SearchQuery _query;
        private readonly (int RootId, string Path)? _folder;
        private readonly Grants? _grants;
        private readonly List<NpgsqlParameter> _parameters = [];
        private readonly string[] _typeExtensions;
        private readonly IReadOnlyList<int[]> _wordTokens;
        private readonly SearchCursorKey? _after;

        public Compiled(SearchCriteria criteria, SearchQuery query, (int RootId, string Path)? folder, Grants? grants)
        {
            _criteria = criteria;
            _query = query;
            _folder = folder;
            _grants = grants;
            _typeExtensions = query.Type switch
            {
                SearchType.All or SearchType.Folders or SearchType.Files => [],
                _ => [.. FileTypes.Extensions(query.Type)],
            };
            _wordTokens = [.. criteria.Words.Select(SearchTokens.OfWord)];
            _after = query.After?.Key;
            FolderTokens = InFolders();
        }

        /// <summary>Whether the page starts after a cursor's row (<see cref="SearchQuery.After"/> with keys).</summary>
        public bool HasCursor => _after is not null;

        public bool HasWords => _criteria.Words.Count > 0;

        /// <summary>Whether the search is held to a User's grants (not an administrator's).</summary>
        public bool IsUser => _grants is not null;

        public bool HasPhotoFilter => _query.HasPhotoFilter;

        /// <summary>Whether the index can give the candidates: words, extensions or a file type.</summary>
        public bool HasTokens => HasWords || ExtensionTokens.Length > 0 || _query.Type == SearchType.Folders;

        /// <summary>The part of the index under the scope or the user's folders (1 without them), as the plan choice measured it.</summary>
        public double Share { get; set; } = 1;

        /// <summary>How many postings the GIN condition reads: the rows of each token it names.</summary>
        public double Postings(SearchStatistics.Snapshot snapshot) =>
            _wordTokens.SelectMany(t => Chosen(t, snapshot)).Distinct().Sum(snapshot.Rows)
            + ExtensionTokens.Sum(snapshot.Rows)
            + (_query.Type == SearchType.Folders ? snapshot.Rows(SearchTokens.Folder) : 0);

        /// <summary>
        /// The folders the GIN condition names beside the words (<see cref="SearchTokens.In"/>): the folder scope, else
        /// each of a User's granted subtrees when none of them is a whole root; none when they would not narrow.
        /// </summary>
        public int[] FolderTokens { get; }

        private int[] InFolders()
        {
            if (_folder is { } folder)
            {
                return folder.Path.Length == 0 ? [] : [SearchTokens.In(folder.RootId, folder.Path)];
            }

            if (_grants is not { AllowRoots.Length: > 0 and <= InlineGrantLimit })
            {
                return [];
            }

            var subtrees = Subtrees();
            return subtrees.Any(t => t.Path.Length == 0) ? [] : [.. subtrees.Select(t => SearchTokens.In(t.RootId, t.Path)).Distinct()];
        }

        /// <summary>The plan choice's estimate of the matches (a sample's when it took one); null when the plan was not chosen.</summary>
        public double? EstimatedHits { get; set; }

        /// <summary>Whether the statistics, or the plan choice's sample, measured far more matches than the total counts (<see cref="ManyMatches"/>).</summary>
        public bool HasManyMatches { get; set; }

        /// <summary>Whether the index plan also names the user's granted folders' path ranges (<see cref="ChoosePlanAsync"/>).</summary>
        public bool NarrowByRanges { get; set; }

        /// <summary>The folder scope or the granted folders, as a key for the cached count of their rows.</summary>
        public string RangesKey => _folder is { } folder
            ? $"f:{folder.RootId}:{folder.Path}"
            : "g:" + string.Join('\0', (_grants?.AllowRoots ?? []).Zip(_grants?.AllowPaths ?? []).Select(a => $"{a.First}:{a.Second}").Order(StringComparer.Ordinal));

        /// <summary>Whether candidates can be read by path: a folder scope, or a user's grants (not too many).</summary>
        public bool HasRanges => _folder is not null || _grants is { AllowRoots.Length: > 0 and <= InlineGrantLimit };

        private int[] ExtensionTokens
        {
            get
            {
                var extensions = _criteria.Extensions.Count > 0
                    ? (_typeExtensions.Length > 0 ? _criteria.Extensions.Intersect(_typeExtensions).ToArray() : [.. _criteria.Extensions])
                    : _typeExtensions;
                return [.. extensions.Select(SearchTokens.OfExtension).Distinct()];
            }
        }

        public Compiled WithWords(IReadOnlyList<string> words) =>
            new(_criteria with { Words = words }, _query, _folder, _grants);

        /// <summary>
        /// About how many rows match: for each word, the rows of its rarest token (a word's own tokens come together far
        /// more often than chance: 보고 and 고서), so a word alone is over-estimated, never under: a walk sent to a term
        /// rarer than it looked stops at its bound and hands over to the index plan.
        /// </summary>
        public double EstimateHits(SearchStatistics.Snapshot snapshot)
        {
            // Different words, and a word and an extension, are taken as independent of each other; size and date
            // bounds as keeping half each.
            var rows = Math.Max(snapshot.TotalRows, 1);
            var fraction = 1d;
            foreach (var tokens in _wordTokens)
            {
                fraction *= Chosen(tokens, snapshot).Select(snapshot.Rows).DefaultIfEmpty(rows).Min() / rows;
            }

            var extensionTokens = ExtensionTokens;
            if (extensionTokens.Length > 0)
            {
                fraction *= Math.Min(1, extensionTokens.Sum(snapshot.Rows) / rows);
            }

            if (_query.Type == SearchType.Folders)
            {
                fraction *= snapshot.Rows(SearchTokens.Folder) / rows;
            }

            fraction *= _query.MinSize is null && _query.MaxSize is null ? 1 : 0.5;
            fraction *= _query.ModifiedFrom is null && _query.ModifiedUntil is null ? 1 : 0.5;
            return fraction * rows;
        }

        /// <summary>
        /// Whether the statistics measured more than <paramref name="rows"/> matches: a lower bound, not a guess, only
        /// when the query is one token exactly (one word of one or two characters, or extensions or folders alone) for
        /// a reader of everything with no other filter.
        /// </summary>
        public bool CertainlyMoreThan(int rows, SearchStatistics.Snapshot snapshot)
        {
            if (_grants is not null || _folder is not null || _query.MinSize is not null || _query.MaxSize is not null
                || _query.ModifiedFrom is not null || _query.ModifiedUntil is not null || _query.Type == SearchType.Files)
            {
                return false;
            }

            var extensionTokens = ExtensionTokens;
            var exact = _criteria.Words.Count switch
            {
                0 => _query.Type == SearchType.Folders ? [SearchTokens.Folder] : extensionTokens,
                1 when extensionTokens.Length == 0 && _query.Type == SearchType.All
                    && !Hangul.HasInitialConsonant(_criteria.Words[0]) && _criteria.Words[0].EnumerateRunes().Count() <= 2
                    => Chosen(_wordTokens[0], snapshot).Take(1).ToArray(),
                _ => [],
            };
            return exact.Where(snapshot.IsListed).Sum(snapshot.Rows) > rows;
        }

        /// <summary>
        /// The rarest few of a word's tokens; pairs rather than single characters when the word has any, and of those
        /// only the ones at most <see cref="PairFrequencyRatio"/> times as frequent as the rarest.
        /// </summary>
        private static IEnumerable<int> Chosen(int[] tokens, SearchStatistics.Snapshot snapshot)
        {
            var pairs = tokens.Where(t => !SearchTokens.IsCharacter(t)).ToArray();
            var candidates = (pairs.Length > 0 ? pairs : tokens).OrderBy(snapshot.Rows).ThenBy(t => t).Take(TokensPerWord).ToArray();
            var rarest = candidates.Length == 0 ? 0 : snapshot.Rows(candidates[0]);
            return candidates.Where(t => snapshot.Rows(t) <= PairFrequencyRatio * rarest);
        }

        /// <summary>
        /// The page from the GIN index's candidates, with the number of all matches beside each row: the plan reads and
        /// sorts every candidate anyway, so counting them costs nothing more than a second pass would cost again.
        /// </summary>
        public Statement IndexPage(int needed, SearchStatistics.Snapshot snapshot) => Build(p => _after is null
            ? $"""
                SELECT s.entry_id, count(*) OVER () FROM {Candidates(snapshot, p)}
                WHERE {IndexConditions("s", p)}
                ORDER BY {Order("s", "entry_id", p)}
                LIMIT {p(needed)}
                """
            : AfterCursor($"SELECT s.* FROM {Candidates(snapshot, p)} WHERE {IndexConditions("s", p)}", needed, p), ForceIndex);

        /// <summary>
        /// The page after the cursor from every match of <paramref name="matches"/> (rows with the search columns), the
        /// number of all matches beside each row: counted over all of them before the rows up to the cursor are left out
        /// (a condition outside a window function is not pushed below it).
        /// </summary>
        private string AfterCursor(string matches, int needed, Func<object, string> p) => $"""
            SELECT m.entry_id, m.total FROM (SELECT c.*, count(*) OVER () AS total FROM ({matches}) c) m
            WHERE {After("m", "entry_id", p)}
            ORDER BY {Order("m", "entry_id", p)}
            LIMIT {p(needed)}
            """;

        /// <summary>
        /// The index's candidates as a subquery the planner cannot merge (<c>OFFSET 0</c>): the words', extensions' and
        /// folders' tokens (and the ranges when <see cref="NarrowByRanges"/>) read from the index, every other condition
        /// applied to the rows it hands over. Left to merge them, PostgreSQL also made bitmaps of the grant rule's path
        /// ranges and ANDed them with the tokens', which took 11 ms of a 24 ms search to narrow nothing the folder tokens
        /// had not narrowed already.
        /// </summary>
        private string Candidates(SearchStatistics.Snapshot snapshot, Func<object, string> p) =>
            $"(SELECT s.entry_id, s.root_id, s.relative_path, s.name_key, s.kind, s.extension, s.size, s.modified_at FROM entry_search s "
            + $"WHERE {TokenCondition("s", snapshot, p)} AND {Narrowing("s", p)} OFFSET 0) s";

        /// <summary>
        /// The page and the number of all matches, from the rows under the folder scope or the user's granted folders:
        /// each subtree is one range of the path index, which carries every column a search reads, so the rows are read
        /// from the index alone, each once (<see cref="Subtrees"/> are disjoint). Every row has the total beside it.
        /// </summary>
        /// <remarks>
        /// A row read from a granted folder's subtree is readable through that grant unless a deny below the grant
        /// covers it; only then is the whole rule asked (a deeper allow may give it back). So for a user without denies
        /// the per-row work is the words and filters alone.
        /// </remarks>
        public Statement ScopePage(int needed)
        {
            const string columns = "s.entry_id, s.name_key, s.kind, s.extension, s.size, s.modified_at, s.root_id, s.relative_path";
            return Build(p =>
            {
                var branches = ScopeBranches(columns, p);
                if (_after is not null)
                {
                    return AfterCursor(string.Join("\n    UNION ALL ", branches), needed, p);
                }

                return $"""
                    SELECT c.entry_id, count(*) OVER () FROM (
                        {string.Join("\n    UNION ALL ", branches)}
                    ) c
                    ORDER BY {Order("c", "entry_id", p)}
                    LIMIT {p(needed)}
                    """;
            }, ForceScope);
        }

        /// <summary>
        /// How many rows under the scope match, up to <paramref name="cap"/>: the scope plan's rows without its page, so
        /// no match is kept, sorted or counted by a window, and the reading stops at the cap (<see cref="CountByScope"/>).
        /// </summary>
        public Statement ScopeCount(int cap) => Build(p => $"""
            SELECT count(*) FROM (
                {string.Join("\n    UNION ALL ", ScopeBranches("1", p))}
                LIMIT {p(cap)}) c
            """, ForceScope);

        /// <summary>Whether a walk's total is counted from the rows under the scope (<see cref="ScopeCount"/>) rather than the index's candidates.</summary>
        public bool CountByScope { get; set; }

        /// <summary>One SELECT of <paramref name="columns"/> per subtree of the scope, each a range of the covering path index, every condition applied.</summary>
        private List<string> ScopeBranches(string columns, Func<object, string> p)
        {
            var conditions = Join(NameMatches("s", p), Filters("s", p), Scope("s", p));
            return Subtrees().Select(t =>
            {
                var range = t.Path.Length == 0
                    ? $"s.root_id = {p(t.RootId)}"
                    : _folder is not null
                        ? $"s.root_id = {p(t.RootId)} AND s.relative_path > {p(t.Path + "/")} AND s.relative_path < {p(t.Path + "0")}"
                        : $"s.root_id = {p(t.RootId)} AND s.relative_path >= {p(t.Path)} AND s.relative_path < {p(t.Path + "0")}"
                          + $" AND (s.relative_path = {p(t.Path)} OR s.relative_path > {p(t.Path + "/")})";
                return $"SELECT {columns} FROM entry_search s WHERE {range} AND {conditions} AND {SubtreeReadable("s", t, p)}";
            }).DefaultIfEmpty($"SELECT {columns} FROM entry_search s WHERE false").ToList();
        }

        /// <summary>
        /// The folder scope, or each granted folder not inside another granted one ("" for a root granted whole). Folders
        /// neither of which holds the other have disjoint subtrees, so no row is read twice.
        /// </summary>
        private List<(int RootId, string Path)> Subtrees()
        {
            if (_folder is { } folder)
            {
                return [folder];
            }

            var folders = (_grants?.AllowRoots ?? []).Zip(_grants?.AllowPaths ?? [], (r, a) => (RootId: r, Path: a)).Distinct().ToList();
            return [.. folders.Where(f => !folders.Any(o => o.RootId == f.RootId && o.Path != f.Path && IsAtOrBelow(f.Path, o.Path)))];
        }

        /// <summary>What a row of a granted subtree must still meet to be readable (see <see cref="ScopePage"/>).</summary>
        private string SubtreeReadable(string x, (int RootId, string Path) subtree, Func<object, string> p)
        {
            if (_grants is not { } grants)
            {
                return "true";
            }

            if (_folder is not null)
            {
                return Readable(x, p);
            }

            var denies = Enumerable.Range(0, grants.DenyRoots.Length)
                .Where(d => grants.DenyRoots[d] == subtree.RootId && IsAtOrBelow(grants.DenyPaths[d], subtree.Path))
                .Select(d => Covers(x, grants.DenyPaths[d], p))
                .ToList();
            return denies.Count == 0 ? "true" : $"(NOT ({string.Join(" OR ", denies)}) OR ({Readable(x, p)}))";
        }

        public Statement WalkPage(int needed, int? walkLimit, SearchStatistics.Snapshot snapshot)
        {
            var source = walkLimit is { } limit
                ? (Func<Func<object, string>, string, string>)((p, extra) =>
                    $"(SELECT s.entry_id, s.name_key, s.kind, s.extension, s.size, s.modified_at, s.root_id, s.relative_path FROM entry_search s WHERE true {extra} ORDER BY {Order("s", "entry_id", p, withRank: false)} LIMIT {p(limit)}) s")
                : (p, extra) => "entry_search s";
            if (!Ranked)
            {
                return Build(p =>
                {
                    // The cursor is a range condition on the walked index's own order: the walk starts at its row.
                    var seek = After("s", "entry_id", p);
                    return $"""
                        SELECT s.entry_id FROM {source(p, seek.Length == 0 ? "" : $"AND {seek}")}
                        WHERE {Join(IndexConditions("s", p), seek)}
                        ORDER BY {Order("s", "entry_id", p)}
                        LIMIT {p(needed)}
                        """;
                }, ForceWalk);
            }

            // Best first: names equal to the words, then names starting with them (a range of the name index), then
            // the rest by name (a walk of that index), each bounded by the page. Each part holds its tier alone, so
            // that its bound counts rows of that tier; a cursor in one part leaves the parts before it out and starts
            // its own part at its row.
            return Build(p =>
            {
                var phrase = p(_criteria.Phrase);
                var prefix = p(LikePatterns.StartingWith(_criteria.Phrase));
                var rest = Seek("s", p, tier: 2);
                return $"""
                    SELECT parts.entry_id FROM (
                        (SELECT s.entry_id, s.name_key, s.extension FROM entry_search s
                         WHERE s.name_key = {phrase} AND {Join(IndexConditions("s", p), Seek("s", p, tier: 0))})
                        UNION
                        (SELECT s.entry_id, s.name_key, s.extension FROM entry_search s
                         WHERE s.name_key > {phrase} || '.' AND s.name_key < {phrase} || '/' AND s.name_key = {phrase} || '.' || s.extension
                           AND {Join(IndexConditions("s", p), Seek("s", p, tier: 0))})
                        UNION
                        (SELECT s.entry_id, s.name_key, s.extension FROM entry_search s
                         WHERE s.name_key LIKE {prefix} ESCAPE '\' AND s.name_key <> {phrase} AND s.name_key IS DISTINCT FROM {phrase} || '.' || s.extension
                           AND {Join(IndexConditions("s", p), Seek("s", p, tier: 1))}
                         ORDER BY s.name_key, s.entry_id LIMIT {p(needed)})
                        UNION
                        (SELECT s.entry_id, s.name_key, s.extension FROM {source(p, $"AND NOT (s.name_key LIKE {prefix} ESCAPE '\\')" + (rest.Length == 0 ? "" : $" AND {rest}"))}
                         WHERE NOT (s.name_key LIKE {prefix} ESCAPE '\') AND {Join(IndexConditions("s", p), rest)}
                         ORDER BY s.name_key, s.entry_id LIMIT {p(needed)})) parts
                    WHERE {Join(After("parts", "entry_id", p))}
                    ORDER BY {Order("parts", "entry_id", p)}
                    LIMIT {p(needed)}
                    """;
            }, ForceWalk);
        }

        /// <summary>
        /// How many index rows match, up to <paramref name="cap"/>: from the tokens' candidates (and the user's ranges
        /// beside them when <see cref="NarrowByRanges"/>); the scope plan counts its own rows with its page.
        /// </summary>
        public Statement IndexCount(int cap, SearchStatistics.Snapshot snapshot)
        {
            if (!HasTokens)
            {
                return Build(p => $"SELECT count(*) FROM (SELECT 1 FROM entry_search s WHERE {IndexConditions("s", p)} LIMIT {p(cap)}) c");
            }

            return Build(p => $"""
                SELECT count(*) FROM (SELECT 1 FROM {Candidates(snapshot, p)}
                WHERE {IndexConditions("s", p)} LIMIT {p(cap)}) c
                """, ForceIndex);
        }

        /// <summary>
        /// The matches in a sample of the index's pages (<c>TABLESAMPLE SYSTEM</c>, the same pages each time): a fraction
        /// of the table read in page order, every condition applied.
        /// </summary>
        public Statement SampleCount(double fraction) => Build(p => $"""
            SELECT count(*) FROM entry_search s TABLESAMPLE SYSTEM ({(fraction * 100).ToString("0.####", CultureInfo.InvariantCulture)}) REPEATABLE (0)
            WHERE {IndexConditions("s", p)}
            """);

        public Statement PhotoPage(int needed) => Build(p => $"""
            SELECT s.entry_id FROM entry_media m JOIN entry_search s ON s.entry_id = m.entry_id
            WHERE {Join(IndexConditions("s", p), After("s", "entry_id", p))}
            ORDER BY {Order("s", "entry_id", p)}
            LIMIT {p(needed)}
            """);

        public Statement PhotoCount(int cap) => Build(p => $"""
            SELECT count(*) FROM (SELECT 1 FROM entry_media m JOIN entry_search s ON s.entry_id = m.entry_id WHERE {IndexConditions("s", p)} LIMIT {p(cap)}) c
            """);

        public Statement IndexCountOf(long[] ids) => Build(p => $"""
            SELECT count(*) FROM entry_search s WHERE s.entry_id = ANY({p(ids)}) AND {IndexConditions("s", p)}
            """);

        public Statement ScopeRowCount(int cap) => Build(p => $"""
            SELECT count(*) FROM (SELECT 1 FROM entry_search s WHERE {Join(Ranges("s", p), Scope("s", p))} LIMIT {p(cap)}) c
            """, ForceScope);

        public Statement DescribedPage(int needed, long[] pending) => Build(p => $"""
            SELECT e.id FROM entries e
            WHERE {Join(Described("e", pending, p), After("e", "id", p))}
            ORDER BY {Order("e", "id", p)}
            LIMIT {p(needed)}
            """);

        public Statement DescribedCount(int cap, long[] pending) => Build(p => $"""
            SELECT count(*) FROM (SELECT 1 FROM entries e WHERE {Described("e", pending, p)} LIMIT {p(cap)}) c
            """);

        public Statement PendingPage(int needed, long[] pending) => Build(p => $"""
            SELECT e.id FROM entries e
            WHERE e.id = ANY({p(pending)}) AND {Join(CatalogConditions("e", p), After("e", "id", p))}
            ORDER BY {Order("e", "id", p)}
            LIMIT {p(needed)}
            """);

        public Statement PendingCount(long[] pending) => Build(p => $"""
            SELECT count(*) FROM entries e WHERE e.id = ANY({p(pending)}) AND {CatalogConditions("e", p)}
            """);

        public Statement CatalogPage(int needed) => Build(p => $"""
            SELECT e.id FROM entries e
            WHERE {Join(CatalogConditions("e", p), After("e", "id", p))}
            ORDER BY {Order("e", "id", p)}
            LIMIT {p(needed)}
            """);

        public Statement CatalogCount(int cap) => Build(p => $"""
            SELECT count(*) FROM (SELECT 1 FROM entries e WHERE {CatalogConditions("e", p)} LIMIT {p(cap)}) c
            """);

        /// <summary>
        /// The page itself, from the catalog: every candidate's sort keys as the catalog has them now, and the name key
        /// and relevance tier of each row for the next page's cursor.
        /// </summary>
        public Statement FinalPage(long[] ids, int offset, int pageSize) => Build(p => $"""
            SELECT e.id, e.name, e.kind, e.size, e.modified_at, e.extension, e.root_id, e.parent_id, e.relative_path, e.description, r.name,
                   e.name_key, {(Ranked ? Tier("e", p) : "0")}
            FROM entries e LEFT JOIN storage_roots r ON r.id = e.root_id
            WHERE {Join($"e.id = ANY({p(ids)})", After("e", "id", p))}
            ORDER BY {Order("e", "id", p)}
            OFFSET {p(offset)} LIMIT {p(pageSize)}
            """);

        /// <summary>The candidates still active, readable, in scope and meeting the filters, as the catalog has them now.</summary>
        public Statement Rechecked(long[] ids) => Build(p => $"""
            SELECT e.id, e.name, e.kind, e.size, e.modified_at, e.extension, e.root_id, e.parent_id, e.relative_path, e.description, r.name
            FROM entries e LEFT JOIN storage_roots r ON r.id = e.root_id
            WHERE e.id = ANY({p(ids)}) AND {Join($"e.state = 0 AND e.parent_id IS NOT NULL", Filters("e", p), Scope("e", p), Readable("e", p))}
            """);

        private Statement Build(Func<Func<object, string>, string> text, string settings = "")
        {
            var parameters = new List<NpgsqlParameter>();
            string Add(object value)
            {
                var name = "p" + parameters.Count.ToString(CultureInfo.InvariantCulture);
                parameters.Add(value switch
                {
                    string s => new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = s },
                    int[] a => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = a },
                    long[] a => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = a },
                    string[] a => new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = a },
                    _ => new NpgsqlParameter(name, value),
                });
                return "@" + name;
            }

            return new Statement(text(Add), parameters, settings);
        }

        /// <summary>The GIN condition: every word's rarest tokens, and one of the wanted extensions' (or the folder token).</summary>
        private string TokenCondition(string x, SearchStatistics.Snapshot snapshot, Func<object, string> p)
        {
            var conditions = new List<string>();
            var all = _wordTokens.SelectMany(t => Chosen(t, snapshot)).ToList();
            var extensions = ExtensionTokens;
            // One wanted extension is one more token every candidate holds: in the same GIN key as the words', whose
            // fast scan skips through its long posting list by the words' rarest (4.3 ms of CPU for 고서 + pdf at 1M
            // entries, 4.9 as a key of its own).
            if (extensions.Length == 1)
            {
                all.Add(extensions[0]);
            }

            all = [.. all.Distinct()];
            if (all.Count > 0)
            {
                conditions.Add($"{x}.tokens @> {p(all.ToArray())}");
            }

            if (extensions.Length > 1)
            {
                conditions.Add($"{x}.tokens && {p(extensions)}");
            }

            if (_query.Type == SearchType.Folders)
            {
                conditions.Add($"{x}.tokens @> {p(new[] { SearchTokens.Folder })}");
            }

            // A superset of the scope and of the readable rows (a hash may collide); the path conditions decide.
            if (conditions.Count > 0 && FolderTokens.Length > 0)
            {
                conditions.Add($"{x}.tokens && {p(FolderTokens)}");
            }

            return conditions.Count == 0 ? "true" : string.Join(" AND ", conditions);
        }

        /// <summary>The user's granted ranges beside the tokens, when <see cref="NarrowByRanges"/> (no folder scope: that is in the conditions).</summary>
        private string Narrowing(string x, Func<object, string> p) =>
            NarrowByRanges && _folder is null && HasRanges ? Ranges(x, p) : "true";

        /// <summary>Everything an index row must meet: all words in the name, the filters, the scope, readable.</summary>
        private string IndexConditions(string x, Func<object, string> p) =>
            Join(NameMatches(x, p), Filters(x, p), Scope(x, p), Readable(x, p));

        /// <summary>Everything a catalog row must meet: active, not a root, each word in its name or description, and the rest.</summary>
        private string CatalogConditions(string x, Func<object, string> p) =>
            Join($"{x}.state = 0 AND {x}.parent_id IS NOT NULL", WordMatches(x, p), Filters(x, p), Scope(x, p), Readable(x, p));

        /// <summary>Entries not queued that match through their description: the index, which has no descriptions, missed them.</summary>
        private string Described(string x, long[] pending, Func<object, string> p) =>
            Join($"{x}.description IS NOT NULL AND NOT ({x}.id = ANY({p(pending)}))", CatalogConditions(x, p), $"NOT ({NameMatches(x, p)})");

        private static string Join(params string[] conditions) =>
            string.Join(" AND ", conditions.Where(c => c.Length > 0 && c != "true").Select(c => "(" + c + ")").DefaultIfEmpty("true"));

        private string NameMatches(string x, Func<object, string> p) =>
            Join([.. _criteria.Words.Select(w => NameMatch(x, w, p))]);

        private string WordMatches(string x, Func<object, string> p) =>
            Join([.. _criteria.Words.Select(w =>
                $"{NameMatch(x, w, p)} OR ({x}.description IS NOT NULL AND {x}.description ILIKE {p(LikePatterns.Containing(w))} ESCAPE '\\')")]);

        private static string NameMatch(string x, string word, Func<object, string> p) =>
            Hangul.HasInitialConsonant(word)
                ? $"{x}.name_key ~ {p(InitialsPattern(word))}"
                : $"{x}.name_key LIKE {p(LikePatterns.Containing(word))} ESCAPE '\\'";

        /// <summary>A regular expression for a 초성 word: ㅎ matches itself or any syllable starting with ㅎ (하–힣).</summary>
        internal static string InitialsPattern(string word)
        {
            var pattern = new StringBuilder();
            foreach (var c in word)
            {
                if (Hangul.IsInitialConsonant(c))
                {
                    var (first, last) = Hangul.SyllablesStartingWith(c);
                    pattern.Append('[').Append(c).Append(first).Append('-').Append(last).Append(']');
                }
                else if (char.IsAsciiLetterOrDigit(c) || c > 0x7F)
                {
                    pattern.Append(c);
                }
                else
                {
                    pattern.Append('\\').Append(c);
                }
            }

            return pattern.ToString();
        }

        private string Filters(string x, Func<object, string> p)
        {
            var conditions = new List<string>();
            if (_criteria.Extensions.Count > 0)
            {
                conditions.Add($"{x}.kind = 1 AND {x}.extension = ANY({p(_criteria.Extensions.ToArray())})");
            }

            switch (_query.Type)
            {
                case SearchType.All:
                    break;
                case SearchType.Folders:
                    conditions.Add($"{x}.kind = 0");
                    break;
                case SearchType.Files:
                    conditions.Add($"{x}.kind = 1");
                    break;
                default:
                    conditions.Add($"{x}.kind = 1 AND {x}.extension = ANY({p(_typeExtensions)})");
                    break;
            }

            if (_query.MinSize is not null || _query.MaxSize is not null)
            {
                conditions.Add($"{x}.kind <> 0 AND {x}.size >= {p(_query.MinSize ?? 0)} AND {x}.size <= {p(_query.MaxSize ?? long.MaxValue)}");
            }

            if (_query.ModifiedFrom is { } from)
            {
                conditions.Add($"{x}.modified_at >= {p(from.ToUniversalTime())}");
            }

            if (_query.ModifiedUntil is { } until)
            {
                conditions.Add($"{x}.modified_at < {p(until.ToUniversalTime())}");
            }

            if (_query.HasPhotoFilter)
            {
                conditions.Add(PhotoCondition(x, p));
            }

            return Join([.. conditions]);
        }

        /// <summary>The photo's EXIF, from <c>entry_media</c> (filled as thumbnails are made): camera make or model, day taken.</summary>
        private string PhotoCondition(string x, Func<object, string> p)
        {
            var media = new List<string> { $"m.entry_id = {x}.{(x == "s" ? "entry_id" : "id")}" };
            if (!string.IsNullOrWhiteSpace(_query.Camera))
            {
                var camera = p(LikePatterns.Containing(_query.Camera.Trim()));
                media.Add($"(m.make ILIKE {camera} ESCAPE '\\' OR m.model ILIKE {camera} ESCAPE '\\')");
            }

            if (_query.TakenFrom is { } from)
            {
                media.Add($"m.taken_at >= {p(from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified))}");
            }

            if (_query.TakenUntil is { } until)
            {
                media.Add($"m.taken_at < {p(until.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified))}");
            }

            return $"EXISTS (SELECT 1 FROM entry_media m WHERE {string.Join(" AND ", media)})";
        }

        /// <summary>Below the folder scope, on whole path components and bytewise: <c>Sales</c> holds <c>Sales/a</c>, not <c>Sales-Old/a</c>.</summary>
        private string Scope(string x, Func<object, string> p)
        {
            if (_folder is not { } folder)
            {
                return "";
            }

            var root = $"{x}.root_id = {p(folder.RootId)}";
            return folder.Path.Length == 0
                ? root
                : $"{root} AND {x}.relative_path > {p(folder.Path + "/")} AND {x}.relative_path < {p(folder.Path + "0")}";
        }

        /// <summary>
        /// Path ranges covering the candidates, for the scope plan: the folder scope, else each allowed folder (with
        /// its own row). A superset: <see cref="Readable"/> still decides, denies included.
        /// </summary>
        private string Ranges(string x, Func<object, string> p)
        {
            if (_folder is { } folder)
            {
                return Scope(x, p);
            }

            if (_grants is not { } grants || grants.AllowRoots.Length == 0)
            {
                return "false";
            }

            var ranges = new List<string>();
            for (var i = 0; i < grants.AllowRoots.Length; i++)
            {
                var path = grants.AllowPaths[i];
                ranges.Add(path.Length == 0
                    ? $"{x}.root_id = {p(grants.AllowRoots[i])}"
                    : $"{x}.root_id = {p(grants.AllowRoots[i])} AND {x}.relative_path >= {p(path)} AND {x}.relative_path < {p(path + "0")}");
            }

            // Parenthesised whole: it is ANDed with the other conditions.
            return "(" + string.Join(" OR ", ranges.Select(r => "(" + r + ")")) + ")";
        }

        /// <summary>
        /// The rows the user may read, as <see cref="ReadableEntries.WhereReadable"/> decides: under an allow, and not
        /// under a deny on the allow's folder or deeper. Administrators read everything.
        /// </summary>
        /// <remarks>
        /// A deny counts against an allow only when it sits on the allow's folder or below it (both are on the entry's
        /// path, so the longer one is the deeper), which is decided here once per search rather than once per row: the
        /// condition is plain comparisons of the row's root and path with constants, a few hundred nanoseconds a row
        /// where a correlated <c>unnest</c> of the grants cost microseconds (docs/search.md, "Users"). Past
        /// <see cref="InlineGrantLimit"/> allows the statement would grow too long, and the correlated form is used.
        /// </remarks>
        private string Readable(string x, Func<object, string> p)
        {
            if (_grants is not { } grants)
            {
                return "";
            }

            if (grants.AllowRoots.Length == 0)
            {
                return "false";
            }

            if (grants.AllowRoots.Length > InlineGrantLimit)
            {
                return CorrelatedReadable(x, grants, p);
            }

            var allows = new List<string>();
            for (var i = 0; i < grants.AllowRoots.Length; i++)
            {
                var (root, path) = (grants.AllowRoots[i], grants.AllowPaths[i]);
                var denies = Enumerable.Range(0, grants.DenyRoots.Length)
                    .Where(d => grants.DenyRoots[d] == root && IsAtOrBelow(grants.DenyPaths[d], path))
                    .Select(d => Covers(x, grants.DenyPaths[d], p))
                    .ToList();
                var allow = $"{x}.root_id = {p(root)} AND {Covers(x, path, p)}";
                allows.Add(denies.Count == 0 ? allow : $"{allow} AND NOT ({string.Join(" OR ", denies)})");
            }

            // Parenthesised whole: it is ANDed with the other conditions.
            return "(" + string.Join(" OR ", allows.Select(a => "(" + a + ")")) + ")";
        }

        /// <summary>The folder itself or anything below it, on whole components and bytewise; the whole root for "".</summary>
        private static string Covers(string x, string folder, Func<object, string> p) =>
            folder.Length == 0
                ? "true"
                : $"({x}.relative_path = {p(folder)} OR ({x}.relative_path > {p(folder + "/")} AND {x}.relative_path < {p(folder + "0")}))";

        private static bool IsAtOrBelow(string path, string folder) =>
            folder.Length == 0 || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);

        /// <summary>The same rule with the grants as arrays, joined to every row: for users with very many allows.</summary>
        private static string CorrelatedReadable(string x, Grants grants, Func<object, string> p)
        {
            var covers = (string grant) => $"({grant}.path = '' OR {x}.relative_path = {grant}.path "
                + $"OR ({x}.relative_path > {grant}.path || '/' AND {x}.relative_path < {grant}.path || '0'))";
            var denies = grants.DenyRoots.Length == 0
                ? ""
                : $"""
                   AND NOT EXISTS (SELECT 1 FROM unnest({p(grants.DenyRoots)}::int[], {p(grants.DenyPaths)}::text[]) d(root_id, path)
                                   WHERE d.root_id = {x}.root_id AND length(d.path) >= length(a.path) AND {covers("d")})
                   """;
            return $"""
                EXISTS (SELECT 1 FROM unnest({p(grants.AllowRoots)}::int[], {p(grants.AllowPaths)}::text[]) a(root_id, path)
                        WHERE a.root_id = {x}.root_id AND {covers("a")} {denies})
                """;
        }

        /// <summary>Whether the order starts with the relevance tier: relevance, with words.</summary>
        private bool Ranked => _query.Sort == SearchSort.Relevance && _criteria.Phrase.Length > 0;

        /// <summary>The sort's key, then the name key and the id, so that pages never overlap or skip a row.</summary>
        private string Order(string x, string id, Func<object, string> p, bool withRank = true)
        {
            var descending = _query.SortsDescending ? " DESC" : "";
            var keys = string.Join(", ", SortColumns(x, id).Select(c => c + descending));
            return Ranked && withRank ? $"{Tier(x, p)}, {keys}" : keys;
        }

        /// <summary>The columns the sort orders by after the relevance tier: its key, then the name key and the id.</summary>
        private string[] SortColumns(string x, string id) => _query.Sort switch
        {
            SearchSort.Size => [$"{x}.size", $"{x}.name_key", $"{x}.{id}"],
            SearchSort.Modified => [$"{x}.modified_at", $"{x}.name_key", $"{x}.{id}"],
            _ => [$"{x}.name_key", $"{x}.{id}"],
        };

        /// <summary>Exactly the words ("보고서" for "보고서" and "보고서.pdf"): 0; names that start with them: 1; the rest: 2.</summary>
        private string Tier(string x, Func<object, string> p)
        {
            var exact = p(_criteria.Phrase);
            return $"""
                CASE WHEN {x}.name_key = {exact} OR ({x}.extension IS NOT NULL AND {x}.name_key = {exact} || '.' || {x}.extension) THEN 0
                     WHEN {x}.name_key LIKE {p(LikePatterns.StartingWith(_criteria.Phrase))} ESCAPE '\' THEN 1
                     ELSE 2 END
                """;
        }

        /// <summary>
        /// The rows after the cursor's, in the whole sort order (tier included): one row comparison, in the direction
        /// of the sort, which PostgreSQL reads as a range of an index on the same columns. "" without a cursor.
        /// </summary>
        private string After(string x, string id, Func<object, string> p)
        {
            if (_after is not { } after)
            {
                return "";
            }

            var columns = SortColumns(x, id);
            var values = SortValues(after, p);
            if (Ranked)
            {
                columns = [Tier(x, p), .. columns];
                values = [p(after.Tier), .. values];
            }

            return $"({string.Join(", ", columns)}) {(_query.SortsDescending ? "<" : ">")} ({string.Join(", ", values)})";
        }

        /// <summary>
        /// For the relevance walk's part of one tier: nothing when the cursor is in an earlier tier, no row when it is
        /// in a later one, else the rows of that tier after it, as a range of the name index.
        /// </summary>
        private string Seek(string x, Func<object, string> p, int tier)
        {
            if (_after is not { } after || after.Tier < tier)
            {
                return "";
            }

            return after.Tier > tier ? "false" : $"({x}.name_key, {x}.entry_id) > ({p(after.NameKey)}, {p(after.Id)})";
        }

        private string[] SortValues(SearchCursorKey after, Func<object, string> p) => _query.Sort switch
        {
            SearchSort.Size => [p(after.Size), p(after.NameKey), p(after.Id)],
            SearchSort.Modified => [p(after.ModifiedAt.ToUniversalTime()), p(after.NameKey), p(after.Id)],
            _ => [p(after.NameKey), p(after.Id)],
        };
    }
}

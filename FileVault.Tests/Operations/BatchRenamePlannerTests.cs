using System.Text;
using FileVault.Core.Operations;

namespace FileVault.Tests.Operations;

/// <summary>The batch rename preview: pure, so every rule and every hostile input is checked without a disk.</summary>
public sealed class BatchRenamePlannerTests
{
    private static readonly BatchRenameRule Keep = new();

    [Fact]
    public void Plain_find_replace_is_case_sensitive_unless_asked()
    {
        var items = Files("Report 2024.pdf", "report 2024 draft.pdf");

        var exact = Plan(items, Keep with { Find = "Report", Replace = "Summary" });
        var folded = Plan(items, Keep with { Find = "Report", Replace = "Summary", IgnoreCase = true });

        Assert.Equal(["Summary 2024.pdf", "report 2024 draft.pdf"], NewNames(exact));
        Assert.True(exact.Items[1].IsUnchanged);
        Assert.Equal(["Summary 2024.pdf", "Summary 2024 draft.pdf"], NewNames(folded));
    }

    [Fact]
    public void Plain_find_treats_regex_characters_and_dollars_literally()
    {
        var plan = Plan(Files("a.b (1).txt"), Keep with { Find = ".b (1)", Replace = "$1" });

        Assert.Equal(["a$1.txt"], NewNames(plan));
    }

    [Fact]
    public void Regex_find_replace_uses_groups()
    {
        var plan = Plan(Files("IMG_20240105.jpg", "IMG_20231224.JPG"), Keep with { Find = @"^IMG_(\d{4})(\d{2})(\d{2})", Replace = "$1-$2-$3", UseRegex = true });

        Assert.Equal(["2024-01-05.jpg", "2023-12-24.JPG"], NewNames(plan));
    }

    [Fact]
    public void Regex_ignore_case_matches_either_case()
    {
        var plan = Plan(Files("photo.JPEG", "photo2.jpeg"), Keep with { Find = @"\.jpeg$", Replace = ".jpg", UseRegex = true, IgnoreCase = true });

        Assert.Equal(["photo.jpg", "photo2.jpg"], NewNames(plan));
    }

    [Fact]
    public void An_invalid_regex_is_refused_with_its_own_code()
    {
        var result = BatchRenamePlanner.Plan(Files("a.txt"), Keep with { Find = "(unclosed", UseRegex = true });

        Assert.Equal("rename.regex_invalid", result.Error?.Code);
    }

    [Fact]
    public void A_regex_that_would_backtrack_forever_times_out_into_a_clear_error()
    {
        var name = new string('a', 40) + "!";

        var result = BatchRenamePlanner.Plan(Files("ok.txt", name), Keep with { Find = "^(a+)+$", UseRegex = true }, TimeSpan.FromMilliseconds(50));

        Assert.Equal("rename.regex_timeout", result.Error?.Code);
        Assert.Contains(name, result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prefix_goes_first_and_suffix_before_a_files_extension_but_at_a_folders_end()
    {
        var plan = Plan([(1, "report.final.pdf", false), (2, "2024.archive", true), (3, ".bashrc", false), (4, "README", false)],
            Keep with { Prefix = "old_", Suffix = "_v2" });

        Assert.Equal(["old_report.final_v2.pdf", "old_2024.archive_v2", "old_.bashrc_v2", "old_README_v2"], NewNames(plan));
    }

    [Fact]
    public void Numbering_counts_in_the_given_order_with_start_step_padding_and_separator()
    {
        var items = Files("c.jpg", "a.jpg", "b.jpg");

        var suffix = Plan(items, Keep with { Numbering = new BatchNumbering(Start: 8, Step: 2, Width: 3, Separator: "-") });
        var prefix = Plan(items, Keep with { Prefix = "trip_", Numbering = new BatchNumbering(Position: NumberPosition.Prefix, Separator: " ") });

        Assert.Equal(["c-008.jpg", "a-010.jpg", "b-012.jpg"], NewNames(suffix));
        Assert.Equal(["1 trip_c.jpg", "2 trip_a.jpg", "3 trip_b.jpg"], NewNames(prefix));
    }

    [Fact]
    public void Negative_numbers_keep_their_sign_outside_the_padding()
    {
        var plan = Plan(Files("a.txt", "b.txt"), Keep with { Numbering = new BatchNumbering(Start: -1, Step: 1, Width: 3) });

        Assert.Equal(["a_-001.txt", "b_000.txt"], NewNames(plan));
    }

    [Fact]
    public void A_step_of_zero_gives_every_entry_the_same_number_and_that_is_a_duplicate()
    {
        var plan = Plan(Files("a.txt", "a.TXT"), Keep with { Numbering = new BatchNumbering(Step: 0) });

        Assert.True(plan.HasProblems);
        Assert.All(plan.Items, i => Assert.Equal("rename.duplicate", i.Problem?.Code));
    }

    [Fact]
    public void Padding_wider_than_the_limit_is_refused()
    {
        var result = BatchRenamePlanner.Plan(Files("a.txt"), Keep with { Numbering = new BatchNumbering(Width: 1_000_000) });

        Assert.Equal("rename.rule_invalid", result.Error?.Code);
    }

    [Theory]
    [InlineData("pdf", "scan.pdf")]
    [InlineData(".PDF", "scan.PDF")]
    [InlineData("", "scan")]
    [InlineData("tar.gz", "scan.tar.gz")]
    public void A_new_extension_applies_to_files_only_and_empty_removes_it(string extension, string expected)
    {
        var plan = Plan([(1, "scan.jpeg", false), (2, "photos.2024", true)], Keep with { NewExtension = extension });

        Assert.Equal(expected, plan.Items[0].NewName);
        Assert.True(plan.Items[1].IsUnchanged);
    }

    [Fact]
    public void A_new_extension_is_added_to_a_file_that_has_none()
    {
        var plan = Plan(Files("Makefile", ".env"), Keep with { NewExtension = "txt" });

        Assert.Equal(["Makefile.txt", ".env.txt"], NewNames(plan));
    }

    [Fact]
    public void Korean_names_stored_in_nfd_are_matched_by_nfc_text_and_come_out_in_nfc()
    {
        var nfd = "회의록_초안.txt".Normalize(NormalizationForm.FormD);

        var plan = Plan(Files(nfd), Keep with { Find = "초안", Replace = "최종", Prefix = "2025년 " });

        var renamed = Assert.Single(plan.Items);
        Assert.Null(renamed.Problem);
        Assert.Equal("2025년 회의록_최종.txt", renamed.NewName);
        Assert.True(renamed.NewName.IsNormalized(NormalizationForm.FormC));
    }

    [Fact]
    public void Nfd_rule_text_matches_an_nfc_name()
    {
        var plan = Plan(Files("견적서.xlsx"), Keep with { Find = "견적서".Normalize(NormalizationForm.FormD), Replace = "발주서".Normalize(NormalizationForm.FormD) });

        Assert.Equal(["발주서.xlsx"], NewNames(plan));
        Assert.True(plan.Items[0].NewName.IsNormalized(NormalizationForm.FormC));
    }

    [Fact]
    public void A_name_that_differs_only_in_normalisation_is_unchanged_not_renamed()
    {
        var plan = Plan(Files("사진.png".Normalize(NormalizationForm.FormD)), Keep with { Find = "zzz", Replace = "y" });

        Assert.True(plan.Items[0].IsUnchanged);
        Assert.False(plan.HasProblems);
        Assert.False(plan.CanApply);
    }

    [Fact]
    public void Unchanged_entries_are_skipped_without_stopping_the_others()
    {
        var plan = Plan(Files("2024 보고서.hwp", "메모.txt"), Keep with { Find = "2024", Replace = "2025" });

        Assert.False(plan.HasProblems);
        Assert.True(plan.CanApply);
        Assert.Equal([1L], plan.Changes.Select(c => c.Id));
    }

    [Fact]
    public void Two_entries_ending_with_names_that_differ_only_in_case_are_duplicates()
    {
        var plan = Plan(Files("Draft A.txt", "draft a.txt", "other.txt"), Keep with { Find = "Draft ", Replace = "final ", IgnoreCase = true });

        Assert.Equal(["rename.duplicate", "rename.duplicate", UnchangedCode], plan.Items.Select(i => i.Problem?.Code));
        Assert.True(plan.HasProblems);
    }

    [Fact]
    public void A_new_name_equal_to_an_unchanged_entrys_name_is_a_duplicate()
    {
        var plan = Plan(Files("a.txt", "b.txt"), Keep with { Find = "b", Replace = "a" });

        Assert.All(plan.Items, i => Assert.Equal("rename.duplicate", i.Problem?.Code));
    }

    [Fact]
    public void A_swap_within_the_batch_is_not_a_duplicate()
    {
        // Renumbering 1, 2 as 2, 1: each takes the name the other gives up.
        var plan = Plan(Files("1.txt", "2.txt"), Renumber(start: 2, step: -1));

        Assert.Equal(["2.txt", "1.txt"], NewNames(plan));
        Assert.True(plan.CanApply);
    }

    [Theory]
    [InlineData("..", "path.dot_component")]
    [InlineData(".", "path.dot_component")]
    [InlineData("a/b", "path.separator_in_name")]
    [InlineData("a\0b", "path.nul")]
    [InlineData("a\\b", "path.backslash")]
    [InlineData("tab\there", "path.control_character")]
    [InlineData("", "path.empty_component")]
    [InlineData("CON", "path.reserved_name")]
    [InlineData("name.", "path.reserved_name")]
    [InlineData("what?", "path.reserved_name")]
    [InlineData(".filevault-trash", "path.reserved_name")]
    [InlineData(".filevault-part-7-rename-1", "path.reserved_name")]
    public void Hostile_or_empty_results_get_the_path_guards_code_and_block_the_batch(string replacement, string code)
    {
        var plan = Plan([(1, "target", true), (2, "fine.txt", false)], Keep with { Find = "^target$", Replace = replacement, UseRegex = true });

        Assert.Equal(code, plan.Items[0].Problem?.Code);
        Assert.True(plan.Items[0].Blocks);
        Assert.True(plan.HasProblems);
        Assert.False(plan.CanApply);
    }

    [Fact]
    public void A_result_over_255_bytes_is_refused()
    {
        // 100 Hangul syllables are 300 bytes in UTF-8.
        var plan = Plan(Files("a.txt"), Keep with { Prefix = new string('가', 100) });

        Assert.Equal("path.name_too_long", plan.Items[0].Problem?.Code);
    }

    [Fact]
    public void A_regex_that_splits_a_surrogate_pair_is_refused_as_invalid_unicode()
    {
        var plan = Plan(Files("smile😀.txt"), Keep with { Find = "\uDE00", Replace = "", UseRegex = true });

        Assert.Equal("path.invalid_unicode", plan.Items[0].Problem?.Code);
    }

    [Fact]
    public void Too_long_rule_text_and_too_many_entries_are_refused()
    {
        var longText = BatchRenamePlanner.Plan(Files("a"), Keep with { Prefix = new string('x', BatchRenamePlanner.MaxTextLength + 1) });
        var many = BatchRenamePlanner.Plan(
            Enumerable.Range(0, BatchRenamePlanner.MaxItems + 1).Select(i => ((long)i, $"f{i}", false)).ToList(), Keep with { Prefix = "x" });

        Assert.Equal("rename.rule_invalid", longText.Error?.Code);
        Assert.Equal("rename.too_many", many.Error?.Code);
    }

    [Fact]
    public void A_rule_that_changes_nothing_has_nothing_to_apply()
    {
        var plan = Plan(Files("a.txt", "b.txt"), Keep);

        Assert.All(plan.Items, i => Assert.True(i.IsUnchanged));
        Assert.False(plan.CanApply);
    }

    private const string UnchangedCode = BatchRenamePlanner.UnchangedCode;

    /// <summary>Replaces a leading number with a new one: "1.txt" → "2.txt".</summary>
    internal static BatchRenameRule Renumber(int start, int step) => new()
    {
        Find = @"^\d+",
        UseRegex = true,
        Numbering = new BatchNumbering(Start: start, Step: step, Position: NumberPosition.Prefix, Separator: ""),
    };

    private static List<(long Id, string Name, bool IsFolder)> Files(params string[] names) =>
        names.Select((n, i) => ((long)(i + 1), n, false)).ToList();

    private static BatchRenamePlan Plan(IReadOnlyList<(long Id, string Name, bool IsFolder)> items, BatchRenameRule rule)
    {
        var result = BatchRenamePlanner.Plan(items, rule);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static string[] NewNames(BatchRenamePlan plan) => plan.Items.Select(i => i.NewName).ToArray();
}

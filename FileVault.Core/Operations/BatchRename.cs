using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FileVault.Core.Catalog;
using FileVault.Core.Storage;

namespace FileVault.Core.Operations;

/// <summary>Where a batch rename puts the running number.</summary>
public enum NumberPosition
{
    /// <summary>Before the name (and before the prefix): "001_report.pdf".</summary>
    Prefix,

    /// <summary>After the name (and after the suffix), before a file's extension: "report_001.pdf".</summary>
    Suffix,
}

/// <summary>A running number for each entry of a batch, in the order the entries were given.</summary>
public sealed record BatchNumbering(int Start = 1, int Step = 1, int Width = 0, NumberPosition Position = NumberPosition.Suffix, string Separator = "_")
{
    /// <summary>Widest zero padding: more is never a name anyone wants, and it bounds the work.</summary>
    public const int MaxWidth = 20;
}

/// <summary>
/// How a batch rename derives each new name. Applied in this order: find/replace on the whole name (extension
/// included); a new extension (files only); then prefix, suffix (before a file's extension) and the number.
/// Empty strings and nulls leave that step out.
/// </summary>
public sealed record BatchRenameRule
{
    public string Find { get; init; } = "";

    public string Replace { get; init; } = "";

    public bool IgnoreCase { get; init; }

    /// <summary><see cref="Find"/> is a .NET regular expression and <see cref="Replace"/> may use $1, ${name}.</summary>
    public bool UseRegex { get; init; }

    public string Prefix { get; init; } = "";

    public string Suffix { get; init; } = "";

    public BatchNumbering? Numbering { get; init; }

    /// <summary>Null keeps each file's extension; "" removes it; "pdf" or ".pdf" sets it. Folders keep their names' dots.</summary>
    public string? NewExtension { get; init; }
}

/// <summary>One entry of a batch: its old name, its new name (NFC), and what stops it, if anything.</summary>
public sealed record PlannedRename(long Id, string OldName, string NewName, bool IsFolder, Error? Problem)
{
    /// <summary>The rule leaves this name as it is: the entry is skipped, which does not stop the batch.</summary>
    public bool IsUnchanged => Problem?.Code == BatchRenamePlanner.UnchangedCode;

    /// <summary>A problem that stops the whole batch (a bad or duplicate name).</summary>
    public bool Blocks => Problem is not null && !IsUnchanged;
}

/// <summary>The preview of a batch rename, entry by entry in the given order.</summary>
public sealed record BatchRenamePlan(IReadOnlyList<PlannedRename> Items)
{
    /// <summary>Some entry's new name is bad or taken twice: nothing may be renamed.</summary>
    public bool HasProblems => Items.Any(i => i.Blocks);

    /// <summary>The entries that get a new name.</summary>
    public IEnumerable<PlannedRename> Changes => Items.Where(i => i.Problem is null);

    public bool CanApply => !HasProblems && Changes.Any();
}

/// <summary>
/// Works out the new names of a batch rename without touching anything, so the dialog can preview it on every
/// keystroke and the operation can check it again before it renames. Names are compared and produced in NFC (a Mac's
/// NFD "회의록" matches a find of "회의"); each new name must pass the path guard's rules for names to create.
/// </summary>
public static class BatchRenamePlanner
{
    public const string UnchangedCode = "rename.unchanged";

    /// <summary>Most entries in one batch.</summary>
    public const int MaxItems = 10_000;

    /// <summary>Longest find, replace, prefix, suffix or extension text; a name is at most 255 bytes anyway.</summary>
    public const int MaxTextLength = 1_000;

    /// <summary>How long one regular expression match may take before the rule is refused as too costly.</summary>
    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromMilliseconds(250);

    public static Result<BatchRenamePlan> Plan(IReadOnlyList<(long Id, string Name, bool IsFolder)> items, BatchRenameRule rule, TimeSpan? regexTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(rule);
        if (items.Count > MaxItems)
        {
            return new Error("rename.too_many", $"A batch renames at most {MaxItems} entries; {items.Count} were given.");
        }

        if (CheckRule(rule) is { } invalid)
        {
            return invalid;
        }

        var replace = CreateReplacer(rule, regexTimeout ?? DefaultRegexTimeout);
        if (!replace.IsSuccess)
        {
            return replace.Error!;
        }

        var planned = new PlannedRename[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (id, oldName, isFolder) = items[i];
            string raw;
            try
            {
                raw = Compose(Nfc(oldName), isFolder, rule, replace.Value, i);
            }
            catch (RegexMatchTimeoutException)
            {
                return new Error("rename.regex_timeout",
                    $"The regular expression took longer than {(regexTimeout ?? DefaultRegexTimeout).TotalMilliseconds:F0} ms on \"{oldName}\"; simplify it.");
            }

            var checkedName = PathGuard.CheckNewName(raw);
            planned[i] = !checkedName.IsSuccess
                ? new PlannedRename(id, oldName, raw, isFolder, checkedName.Error)
                : checkedName.Value == Nfc(oldName)
                    ? new PlannedRename(id, oldName, checkedName.Value, isFolder, new Error(UnchangedCode, "The rule leaves this name as it is."))
                    : new PlannedRename(id, oldName, checkedName.Value, isFolder, null);
        }

        MarkDuplicates(planned);
        return new BatchRenamePlan(planned);
    }

    // Two entries ending with the same name (by the catalog's sibling key: case and normalisation folded) would
    // collide; entries left unchanged keep their names and count too.
    private static void MarkDuplicates(PlannedRename[] planned)
    {
        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < planned.Length; i++)
        {
            if (planned[i].Problem is null || planned[i].IsUnchanged)
            {
                var key = EntryName.Key(planned[i].NewName);
                if (!byKey.TryGetValue(key, out var list))
                {
                    byKey[key] = list = [];
                }

                list.Add(i);
            }
        }

        foreach (var group in byKey.Values.Where(g => g.Count > 1))
        {
            foreach (var i in group)
            {
                planned[i] = planned[i] with
                {
                    Problem = new Error("rename.duplicate", $"{group.Count} entries of the batch would be named \"{planned[i].NewName}\"."),
                };
            }
        }
    }

    private static string Compose(string name, bool isFolder, BatchRenameRule rule, Func<string, string> replace, int index)
    {
        if (rule.Find.Length > 0)
        {
            name = replace(name);
        }

        var (stem, extension) = isFolder ? (name, "") : Split(name);
        if (!isFolder && rule.NewExtension is { } newExtension)
        {
            var bare = Nfc(newExtension.Trim()).TrimStart('.');
            extension = bare.Length == 0 ? "" : "." + bare;
        }

        var text = new StringBuilder(Nfc(rule.Prefix)).Append(stem).Append(Nfc(rule.Suffix));
        if (rule.Numbering is { } numbering)
        {
            var number = Number(numbering, index);
            var separator = Nfc(numbering.Separator);
            if (numbering.Position == NumberPosition.Prefix)
            {
                text.Insert(0, number + separator);
            }
            else
            {
                text.Append(separator).Append(number);
            }
        }

        // Joining texts can make a sequence NFC writes differently (a jamo after a syllable); the result is NFC again.
        return Nfc(text.Append(extension).ToString());
    }

    // "report.final.pdf" → ("report.final", ".pdf"); ".bashrc", "README" and "name." have no extension.
    private static (string Stem, string Extension) Split(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot <= 0 || dot == name.Length - 1 ? (name, "") : (name[..dot], name[dot..]);
    }

    private static string Number(BatchNumbering numbering, int index)
    {
        var value = numbering.Start + ((long)index * numbering.Step);
        var digits = Math.Abs(value).ToString(CultureInfo.InvariantCulture).PadLeft(numbering.Width, '0');
        return value < 0 ? "-" + digits : digits;
    }

    private static Error? CheckRule(BatchRenameRule rule)
    {
        string?[] texts = [rule.Find, rule.Replace, rule.Prefix, rule.Suffix, rule.NewExtension, rule.Numbering?.Separator];
        if (texts.Any(t => t is { Length: > MaxTextLength }))
        {
            return new Error("rename.rule_invalid", $"A text of the rule is longer than {MaxTextLength} characters.");
        }

        if (rule.Numbering is { Width: < 0 or > BatchNumbering.MaxWidth })
        {
            return new Error("rename.rule_invalid", $"Numbers are padded to 0 to {BatchNumbering.MaxWidth} digits.");
        }

        return null;
    }

    private static Result<Func<string, string>> CreateReplacer(BatchRenameRule rule, TimeSpan timeout)
    {
        var find = Nfc(rule.Find);
        var replacement = Nfc(rule.Replace);
        if (!rule.UseRegex)
        {
            var comparison = rule.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return find.Length == 0 ? Result<Func<string, string>>.Success(name => name) : Result<Func<string, string>>.Success(name => name.Replace(find, replacement, comparison));
        }

        try
        {
            var options = RegexOptions.CultureInvariant | (rule.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            var regex = new Regex(find, options, timeout);
            return Result<Func<string, string>>.Success(name => regex.Replace(name, replacement));
        }
        catch (ArgumentException ex)
        {
            return new Error("rename.regex_invalid", $"The regular expression is not valid: {ex.Message}");
        }
    }

    // Text that is not Unicode (a lone surrogate) cannot be normalised; it is left as it is for the path guard to refuse.
    private static string Nfc(string text)
    {
        try
        {
            return text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return text;
        }
    }
}

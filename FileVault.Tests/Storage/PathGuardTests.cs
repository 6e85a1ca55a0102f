using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using FileVault.Core.Scanning;
using FileVault.Core;
using FileVault.Core.Storage;

namespace FileVault.Tests.Storage;

/// <summary>
/// The path guard against a real directory tree in a temp folder:
/// <c>parent/root</c> is the storage root; <c>parent/outside</c> (with a canary) and <c>parent/root-evil</c> are not.
/// </summary>
public sealed class PathGuardTests : IDisposable
{
    private const string Canary = "canary: outside every root";
    private static readonly string HangulNfc = "한글.txt";
    private static readonly string HangulNfd = HangulNfc.Normalize(NormalizationForm.FormD);

    private readonly string _parent = Directory.CreateTempSubdirectory("filevault-pathguard-").FullName;
    private readonly string _root;

    public PathGuardTests()
    {
        _root = Path.Combine(_parent, "root");
        Directory.CreateDirectory(Path.Combine(_parent, "outside"));
        File.WriteAllText(Path.Combine(_parent, "outside", "canary.txt"), Canary);
        Directory.CreateDirectory(Path.Combine(_parent, "root-evil"));
        File.WriteAllText(Path.Combine(_parent, "root-evil", "secret.txt"), Canary);

        Directory.CreateDirectory(Path.Combine(_root, "docs"));
        Directory.CreateDirectory(Path.Combine(_root, "deep", "a", "b"));
        Directory.CreateDirectory(Path.Combine(_root, "twins"));
        File.WriteAllText(Path.Combine(_root, StorageRootRegistry.MarkerFileName), "marker");
        Directory.CreateDirectory(Path.Combine(_root, PathGuard.TrashDirectoryName));
        File.WriteAllText(Path.Combine(_root, PathGuard.TrashDirectoryName, "deleted.txt"), "someone else's deleted file");
        Directory.CreateDirectory(Path.Combine(_root, "docs", PathGuard.StagingDirectoryName));
        File.WriteAllText(Path.Combine(_root, "docs", "report.txt"), "report");
        File.WriteAllText(Path.Combine(_root, HangulNfd), "nfd on disk");
        File.WriteAllText(Path.Combine(_root, "twins", "가.txt"), "nfc twin");
        File.WriteAllText(Path.Combine(_root, "twins", "가.txt".Normalize(NormalizationForm.FormD)), "nfd twin");

        Link("link-in", "docs");
        Link("docs/report-link", "report.txt");
        Link("docs/up", "..");
        Link("docs/up2", "../..");
        Link("chain1", "chain2");
        Link("chain2", "chain3");
        Link("chain3", "docs");
        Link("link-out", Path.Combine(_parent, "outside"));
        Link("rel-out", "../outside");
        Link("canary-link", Path.Combine(_parent, "outside", "canary.txt"));
        Link("link-evil", Path.Combine(_parent, "root-evil"));
        Link("jump", "deep/a/b");
        Link("deep/a/b/esc", "../../../..");
        Link("deep/a/b/home", "../../..");
        Link("loop1", "loop2");
        Link("loop2", "loop1");
        Link("self", "self");
        Link("dangling", "nowhere");
        Link("marker-link", StorageRootRegistry.MarkerFileName);
        Link("trash-link", PathGuard.TrashDirectoryName);
        Link("docs/deleted-link", "../" + PathGuard.TrashDirectoryName + "/deleted.txt");
    }

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    // ---- Parse: the spelling, no file system ----

    [Fact]
    public void Empty_string_is_the_root()
    {
        var result = PathGuard.Parse("");

        Assert.True(result.IsSuccess);
        Assert.True(result.Value.IsRoot);
        Assert.Equal(RelativePath.Root, result.Value);
        Assert.Equal("", result.Value.ToString());
    }

    [Fact]
    public void Components_are_split_on_slash_and_rejoined_by_it()
    {
        var path = PathGuard.Parse("영업부/2024/견적서.xlsx").Value;

        Assert.Equal<string>(["영업부", "2024", "견적서.xlsx"], path.Components);
        Assert.Equal("영업부/2024/견적서.xlsx", path.ToString());
        Assert.Equal(PathGuard.Parse("영업부/2024/견적서.xlsx").Value, path);
        Assert.NotEqual(PathGuard.Parse("영업부/2024").Value, path);
    }

    [Theory]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("a/b/")]
    public void Empty_components_are_rejected_including_a_trailing_slash(string path) =>
        AssertRejected("path.empty_component", path);

    [Theory]
    [InlineData("..")]
    [InlineData("../etc/passwd")]
    [InlineData("a/../b")]
    [InlineData("a/..")]
    public void Dot_dot_component_is_rejected(string path) => AssertRejected("path.dot_component", path);

    [Theory]
    [InlineData(".")]
    [InlineData("./a")]
    [InlineData("a/./b")]
    public void Single_dot_component_is_rejected(string path) => AssertRejected("path.dot_component", path);

    [Theory]
    [InlineData("/")]
    [InlineData("/etc/passwd")]
    [InlineData("//server/share")]
    public void Absolute_path_is_rejected(string path) => AssertRejected("path.absolute", path);

    [Theory]
    [InlineData("a\\b")]
    [InlineData("..\\..\\etc")]
    [InlineData("C:\\Windows")]
    public void Backslash_is_rejected(string path) => AssertRejected("path.backslash", path);

    [Fact]
    public void Nul_is_rejected() => AssertRejected("path.nul", "report.txt\0.jpg");

    [Theory]
    [InlineData(0x09)]
    [InlineData(0x0A)]
    [InlineData(0x0D)]
    [InlineData(0x01)]
    [InlineData(0x1B)]
    [InlineData(0x1F)]
    [InlineData(0x7F)]
    public void Control_characters_and_del_are_rejected(int codePoint) =>
        AssertRejected("path.control_character", $"docs/a{(char)codePoint}b.txt");

    [Theory]
    [InlineData(0xD800)]
    [InlineData(0xDBFF)]
    [InlineData(0xDC00)]
    [InlineData(0xDFFF)]
    [InlineData(0xFFFE)]
    public void Lone_surrogates_and_ufffe_are_rejected_as_invalid_unicode(int unit)
    {
        AssertRejected("path.invalid_unicode", $"a{(char)unit}b");
        AssertRejected("path.invalid_unicode", $"{(char)unit}");
        AssertRejected("path.invalid_unicode", $"docs/x{(char)unit}");
    }

    [Fact]
    public void Surrogate_pairs_are_legal() => Assert.True(PathGuard.Parse("사진/😀.jpg").IsSuccess);

    [Fact]
    public void Name_over_255_bytes_is_rejected_with_its_byte_count()
    {
        var error = PathGuard.Parse("docs/" + new string('a', 256)).Error;

        Assert.Equal("path.name_too_long", error?.Code);
        Assert.Contains("256", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Korean_name_of_255_bytes_is_accepted_and_256_bytes_is_rejected()
    {
        var name = string.Concat(Enumerable.Repeat("가", 85));
        Assert.Equal(255, Encoding.UTF8.GetByteCount(name));

        Assert.True(PathGuard.Parse(name).IsSuccess);
        var error = PathGuard.Parse(name + "a").Error;
        Assert.Equal("path.name_too_long", error?.Code);
        Assert.Contains("256", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_limit_is_measured_after_nfc()
    {
        // 85 syllables: 255 bytes in NFC, 765 bytes as NFD jamo.
        var nfd = string.Concat(Enumerable.Repeat("각", 85)).Normalize(NormalizationForm.FormD);
        Assert.Equal(765, Encoding.UTF8.GetByteCount(nfd));

        var result = PathGuard.Parse(nfd);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(255, Encoding.UTF8.GetByteCount(result.Value.Components[0]));
    }

    [Fact]
    public void Path_of_4096_bytes_is_accepted_and_4097_is_rejected()
    {
        var components = Enumerable.Repeat(new string('a', 240), 17).ToList();
        var path = string.Join('/', components);
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(path));
        Assert.True(PathGuard.Parse(path).IsSuccess);

        var error = PathGuard.Parse(path + "b").Error;

        Assert.Equal("path.too_long", error?.Code);
        Assert.Contains("4097", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_input_is_rejected_without_normalising_it()
    {
        // Long runs of combining marks take quadratic time to normalise; these must be refused at once.
        var marks = string.Concat(Enumerable.Repeat("\u0301\u0316", 100_000));
        var stopwatch = Stopwatch.StartNew();

        var path = PathGuard.Parse("a" + marks);
        var name = PathGuard.Parse("a" + marks[..3000]);

        Assert.Equal("path.too_long", path.Error?.Code);
        Assert.Equal("path.name_too_long", name.Error?.Code);
        Assert.InRange(stopwatch.ElapsedMilliseconds, 0, 2000);
    }

    [Theory]
    [InlineData("a..b.txt")]
    [InlineData("..hidden")]
    [InlineData(".hidden")]
    [InlineData("...")]
    [InlineData("docs/report.")]
    [InlineData("trailing space ")]
    [InlineData(" leading space")]
    [InlineData("CON")]
    [InlineData("a:b*c?.txt")]
    public void Odd_but_legal_names_are_accepted_as_spelled(string path)
    {
        var result = PathGuard.Parse(path);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(path, result.Value.ToString());
    }

    [Fact]
    public void Korean_nfc_is_kept_and_nfd_input_is_normalised_to_nfc()
    {
        var nfc = PathGuard.Parse("영업부/" + HangulNfc).Value;
        var fromNfd = PathGuard.Parse("영업부/".Normalize(NormalizationForm.FormD) + HangulNfd).Value;

        Assert.Equal("영업부/" + HangulNfc, nfc.ToString());
        Assert.Equal(nfc, fromNfd);
        Assert.True(fromNfd.ToString().IsNormalized(NormalizationForm.FormC));
    }

    [Fact]
    public void Reserved_names_are_valid_spellings_that_parse_leaves_to_resolution()
    {
        // Parse has no notion of roots; ResolveExisting makes them unreachable.
        Assert.True(PathGuard.Parse(StorageRootRegistry.MarkerFileName).IsSuccess);
    }

    // ---- ResolveExisting: the spelling mapped onto a real tree ----

    [Fact]
    public void Root_resolves_to_the_root_itself()
    {
        Assert.Equal(_root, Resolve("").Value);
        Assert.Equal(_root, PathGuard.ResolveExisting(_root + "/", RelativePath.Root).Value);
    }

    [Fact]
    public void Existing_file_resolves_to_its_path_under_the_root()
    {
        Assert.Equal(Path.Combine(_root, "docs", "report.txt"), Resolve("docs/report.txt").Value);
    }

    [Fact]
    public void Nfd_name_on_disk_is_found_by_its_nfc_spelling_and_returned_as_found()
    {
        var result = Resolve(HangulNfc);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(_root + "/" + HangulNfd, result.Value);
        Assert.Equal("nfd on disk", File.ReadAllText(result.Value));
    }

    [Fact]
    public void Nfc_and_nfd_twins_are_ambiguous()
    {
        AssertResolveFails("path.ambiguous", "twins/가.txt");
        AssertResolveFails("path.ambiguous", "twins/" + "가.txt".Normalize(NormalizationForm.FormD));
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("docs/nope.txt")]
    [InlineData("nope/report.txt")]
    [InlineData("docs/report.txt/more")]
    [InlineData("dangling")]
    public void Missing_entries_are_not_found(string path) => AssertResolveFails("path.not_found", path);

    [Fact]
    public void Names_on_disk_that_are_not_utf8_or_hold_ufffe_do_not_break_lookup_of_their_siblings()
    {
        var odd = Path.Combine(_root, "odd");
        Directory.CreateDirectory(odd);
        File.WriteAllText(Path.Combine(odd, "ok.txt"), "ok");
        File.WriteAllText(Path.Combine(odd, "nonchar\uFFFE.txt"), "x");
        // .NET cannot spell a name that is not UTF-8, and cannot delete one either: the shell does both.
        Shell("touch \"$(printf 'bad\\377name')\"", odd);
        try
        {
            Assert.Equal(Path.Combine(odd, "ok.txt"), Resolve("odd/ok.txt").Value);
            Assert.Equal("path.invalid_unicode", PathGuard.Parse("odd/nonchar\uFFFE.txt").Error?.Code);
            // .NET lists the name with U+FFFD for the bad byte; that spelling is not the name on disk (R-PATH-7: by id).
            Assert.Contains("bad\uFFFDname", Directory.GetFiles(odd).Select(Path.GetFileName));
            AssertResolveFails("path.not_found", "odd/bad\uFFFDname");
        }
        finally
        {
            Shell("rm -f bad*name", odd);
        }
    }

    private static void Shell(string command, string directory)
    {
        using var shell = Process.Start(new ProcessStartInfo("sh", ["-c", command]) { WorkingDirectory = directory })!;
        shell.WaitForExit();
        Assert.Equal(0, shell.ExitCode);
    }

    [Theory]
    [InlineData(".filevault-root")]
    [InlineData(".FileVault-Root")]
    [InlineData(".filevault-trash")]
    [InlineData(".filevault-trash/deleted.txt")]
    [InlineData("docs/.filevault-staging")]
    public void Reserved_names_are_unreachable(string path) => AssertResolveFails("path.not_found", path);

    [Theory]
    [InlineData("marker-link")]
    [InlineData("trash-link")]
    [InlineData("trash-link/deleted.txt")]
    [InlineData("docs/deleted-link")]
    public void Reserved_names_are_unreachable_through_links_too(string path) => AssertResolveFails("path.not_found", path);

    [Theory]
    [InlineData("link-in/report.txt")]
    [InlineData("docs/report-link")]
    [InlineData("chain1/report.txt")]
    [InlineData("docs/up/docs/report.txt")]
    [InlineData("jump/home/docs/report.txt")]
    public void Symlinks_that_stay_inside_the_root_are_followed_and_kept_in_the_path(string path)
    {
        var result = Resolve(path);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(_root + "/" + path, result.Value);
        Assert.Equal("report", File.ReadAllText(result.Value));
    }

    [Theory]
    [InlineData("link-out")]
    [InlineData("link-out/canary.txt")]
    [InlineData("rel-out/canary.txt")]
    [InlineData("canary-link")]
    [InlineData("docs/up2")]
    [InlineData("docs/up2/outside/canary.txt")]
    [InlineData("link-in/up2/outside/canary.txt")]
    public void Symlinks_to_outside_the_root_are_rejected(string path) =>
        AssertResolveFails("path.symlink_outside_root", path);

    [Theory]
    [InlineData("link-evil")]
    [InlineData("link-evil/secret.txt")]
    public void Sibling_directory_whose_name_extends_the_roots_is_outside(string path) =>
        AssertResolveFails("path.symlink_outside_root", path);

    [Theory]
    [InlineData("jump/esc")]
    [InlineData("jump/esc/outside/canary.txt")]
    public void Relative_link_in_a_directory_reached_through_a_link_cannot_climb_out(string path) =>
        AssertResolveFails("path.symlink_outside_root", path);

    [Theory]
    [InlineData("loop1")]
    [InlineData("loop2/x")]
    [InlineData("self")]
    public void Symlink_loop_gives_a_clear_error(string path) => AssertResolveFails("path.symlink_loop", path);

    [Fact]
    public void Root_that_is_itself_a_symlink_holds_its_entries_and_nothing_more()
    {
        var rootLink = Path.Combine(_parent, "root-link");
        File.CreateSymbolicLink(rootLink, _root);
        var inside = PathGuard.ResolveExisting(rootLink, PathGuard.Parse("link-in/report.txt").Value);
        var outside = PathGuard.ResolveExisting(rootLink, PathGuard.Parse("link-out/canary.txt").Value);

        Assert.Equal(rootLink + "/link-in/report.txt", inside.Value);
        Assert.Equal("path.symlink_outside_root", outside.Error?.Code);
    }

    [Fact]
    public void Missing_root_is_unavailable_not_an_exception()
    {
        var result = PathGuard.ResolveExisting(Path.Combine(_parent, "unmounted"), RelativePath.Root);

        Assert.Equal("root.unavailable", result.Error?.Code);
    }

    [Fact]
    public void Relative_root_is_a_programming_error() =>
        Assert.Throws<ArgumentException>(() => PathGuard.ResolveExisting("relative/root", RelativePath.Root));

    // ---- ResolveForCreate: names FileVault writes ----

    [Fact]
    public void New_name_is_returned_in_nfc_under_its_parent_and_nothing_is_created()
    {
        var result = PathGuard.ResolveForCreate(_root, PathGuard.Parse("docs").Value, HangulNfd);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(Path.Combine(_root, "docs", HangulNfc), result.Value);
        Assert.False(File.Exists(result.Value));
        Assert.Equal(_root + "/" + HangulNfc, PathGuard.ResolveForCreate(_root, RelativePath.Root, HangulNfc).Value);
    }

    [Fact]
    public void Existing_name_is_not_a_conflict_here_because_conflicts_are_checked_later()
    {
        var result = PathGuard.ResolveForCreate(_root, PathGuard.Parse("docs").Value, "report.txt");

        Assert.Equal(Path.Combine(_root, "docs", "report.txt"), result.Value);
    }

    [Theory]
    [InlineData("CON")]
    [InlineData("con")]
    [InlineData("Prn.txt")]
    [InlineData("AUX.tar.gz")]
    [InlineData("nul.txt")]
    [InlineData("COM1")]
    [InlineData("com9.log")]
    [InlineData("LPT1")]
    [InlineData("lpt9.txt")]
    [InlineData("COM¹")]
    [InlineData("CON .txt")]
    public void Windows_device_names_are_reserved_with_or_without_extension(string name) =>
        AssertCreateFails("path.reserved_name", name);

    [Theory]
    [InlineData("report.")]
    [InlineData("report ")]
    [InlineData("...")]
    public void Trailing_dot_or_space_is_reserved(string name) => AssertCreateFails("path.reserved_name", name);

    [Theory]
    [InlineData("a:b")]
    [InlineData("a*b")]
    [InlineData("what?")]
    [InlineData("\"quoted\"")]
    [InlineData("<tag>")]
    [InlineData("a|b")]
    public void Characters_windows_forbids_are_reserved(string name) => AssertCreateFails("path.reserved_name", name);

    [Theory]
    [InlineData("CONSOLE")]
    [InlineData("COM10")]
    [InlineData("con_notes.txt")]
    [InlineData("a..b.txt")]
    [InlineData("..hidden")]
    public void Names_that_only_resemble_windows_reserved_ones_are_allowed(string name)
    {
        var result = PathGuard.ResolveForCreate(_root, RelativePath.Root, name);

        Assert.True(result.IsSuccess, result.Error?.ToString());
    }

    [Theory]
    [InlineData("CON")]
    [InlineData("report.")]
    [InlineData("a:b")]
    public void Windows_rules_can_be_switched_off(string name)
    {
        var result = PathGuard.ResolveForCreate(_root, RelativePath.Root, name, refuseWindowsNames: false);

        Assert.Equal(_root + "/" + name, result.Value);
    }

    [Theory]
    [InlineData(".filevault-root")]
    [InlineData(".FILEVAULT-ROOT")]
    [InlineData(".filevault-trash")]
    [InlineData(".filevault-staging")]
    public void Filevaults_own_names_cannot_be_created_even_without_windows_rules(string name)
    {
        var result = PathGuard.ResolveForCreate(_root, RelativePath.Root, name, refuseWindowsNames: false);

        Assert.Equal("path.reserved_name", result.Error?.Code);
    }

    [Theory]
    [InlineData("a/b", "path.separator_in_name")]
    [InlineData("/a", "path.separator_in_name")]
    [InlineData("", "path.empty_component")]
    [InlineData("..", "path.dot_component")]
    [InlineData(".", "path.dot_component")]
    [InlineData("a\\b", "path.backslash")]
    public void New_name_must_be_one_valid_component(string name, string code) => AssertCreateFails(code, name);

    [Fact]
    public void New_name_with_control_characters_or_nul_is_rejected()
    {
        AssertCreateFails("path.nul", "a\0b");
        AssertCreateFails("path.control_character", "a\nb");
        AssertCreateFails("path.invalid_unicode", "a\ud800b");
    }

    [Fact]
    public void New_name_over_255_bytes_after_nfc_is_rejected()
    {
        var fits = string.Concat(Enumerable.Repeat("각", 85)).Normalize(NormalizationForm.FormD);

        Assert.True(PathGuard.ResolveForCreate(_root, RelativePath.Root, fits).IsSuccess);
        AssertCreateFails("path.name_too_long", fits + "a");
    }

    [Fact]
    public void New_name_that_makes_the_path_too_long_is_rejected_before_the_disk_is_asked()
    {
        // The parent does not exist; the length is what fails.
        var parent = PathGuard.Parse(string.Join('/', Enumerable.Repeat(new string('d', 250), 16))).Value;

        var result = PathGuard.ResolveForCreate(_root, parent, new string('n', 100));

        Assert.Equal("path.too_long", result.Error?.Code);
    }

    [Fact]
    public void Parent_that_is_a_file_is_not_a_directory() =>
        AssertCreateFails("path.not_a_directory", "new.txt", parent: "docs/report.txt");

    [Theory]
    [InlineData("nope", "path.not_found")]
    [InlineData(".filevault-trash", "path.not_found")]
    [InlineData("link-out", "path.symlink_outside_root")]
    [InlineData("link-evil", "path.symlink_outside_root")]
    [InlineData("loop1", "path.symlink_loop")]
    public void Parent_must_resolve_inside_the_root(string parent, string code) =>
        AssertCreateFails(code, "new.txt", parent);

    [Fact]
    public void Parent_reached_through_an_inside_link_is_fine()
    {
        var result = PathGuard.ResolveForCreate(_root, PathGuard.Parse("link-in").Value, "new.txt");

        Assert.Equal(_root + "/link-in/new.txt", result.Value);
    }

    // ---- IsInside: containment by whole components ----

    [Theory]
    [InlineData("/srv/root", "/srv/root", true)]
    [InlineData("/srv/root", "/srv/root/a", true)]
    [InlineData("/srv/root/", "/srv/root/a/b", true)]
    [InlineData("/srv/root", "/srv/root-evil", false)]
    [InlineData("/srv/root", "/srv/root-evil/a", false)]
    [InlineData("/srv/root", "/srv/rootx", false)]
    [InlineData("/srv/root", "/srv", false)]
    [InlineData("/srv/root", "/", false)]
    [InlineData("/srv/root", "/srv/root/../etc", false)]
    [InlineData("/srv/root", "/srv/root/./a", false)]
    [InlineData("/srv/root", "srv/root/a", false)]
    [InlineData("/srv/../srv/root", "/srv/../srv/root/a", false)]
    [InlineData("/", "/etc", true)]
    [InlineData("/", "/", true)]
    public void Containment_is_checked_on_whole_components(string root, string candidate, bool inside) =>
        Assert.Equal(inside, PathGuard.IsInside(root, candidate));

    // ---- Fuzz: random input never throws, and nothing accepted leaves the root ----

    // Names in the test tree, so that random paths often reach something.
    private static readonly string[] TreeNames =
    [
        "docs", "report.txt", "report-link", "up", "up2", "link-in", "chain1", "chain2", "link-out", "rel-out", "canary-link",
        "link-evil", "jump", "esc", "home", "deep", "a", "b", "loop1", "self", "dangling", "twins", "가.txt", HangulNfc, HangulNfd,
        ".filevault-root", ".filevault-trash", "deleted.txt", "marker-link", "trash-link", "deleted-link", "outside", "canary.txt",
        "root-evil", "secret.txt", "root",
    ];

    private static readonly string[] JunkNames =
    [
        "", ".", "..", "...", "a..b.txt", "..hidden", "\\", "..\\..", "\0", "\t", "\r\n", "\x7F", "\x01", "\ud800", "\udc00x",
        "😀", " ", "CON", "\u0301", "\u1112\u1161", new string('x', 300), string.Concat(Enumerable.Repeat("가", 90)),
        string.Concat(Enumerable.Repeat("..", 40)), string.Concat(Enumerable.Repeat("\u0301\u0316", 1500)),
    ];

    private static readonly string[] OddSeparators = ["//", "\\", "", "/./", "/../", "/\0/"];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const string Alphabet = "/.\\\0\t\nab 한가\u1100\u1161\ud800\udc00\u0301\x7F";

    [Fact]
    public void Parse_never_throws_and_everything_it_accepts_is_clean()
    {
        var random = new Random(20261125);
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var input = i % 2 == 0 ? RandomText(random) : RandomPath(random);

            var result = PathGuard.Parse(input);

            if (!result.IsSuccess)
            {
                Assert.StartsWith("path.", result.Error!.Code, StringComparison.Ordinal);
                continue;
            }

            accepted++;
            var text = result.Value.ToString();
            Assert.Equal(input.Normalize(NormalizationForm.FormC), text);
            Assert.InRange(StrictUtf8.GetByteCount(text), 0, PathGuard.MaxPathBytes);
            Assert.Equal(result.Value, PathGuard.Parse(text).Value);
            foreach (var component in result.Value.Components)
            {
                // Strict UTF-8 throws on a lone surrogate.
                Assert.InRange(StrictUtf8.GetByteCount(component), 1, PathGuard.MaxNameBytes);
                Assert.True(component is not ("." or ".."), text);
                Assert.True(component.IsNormalized(NormalizationForm.FormC), text);
                Assert.DoesNotContain(component, c => c < ' ' || c is '\x7F' or '\\' or '/');
            }
        }

        // Enough got through for the checks above to mean something.
        Assert.InRange(accepted, 2_000, 18_000);
    }

    [Fact]
    public void Random_paths_never_resolve_outside_the_root()
    {
        Assert.True(UnixRealPath.TryResolve(_root, out var realRoot, out _));
        string[] outsidePaths = ["", "outside", "outside/canary.txt", "root-evil", "root-evil/secret.txt"];
        var outside = outsidePaths
            .Select(p => UnixFileStat.TryGet(Path.Combine(_parent, p))!.Value)
            .ToHashSet();
        var random = new Random(1125);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 5_000; i++)
        {
            var parsed = PathGuard.Parse(RandomPath(random));
            if (!parsed.IsSuccess)
            {
                continue;
            }

            var result = PathGuard.ResolveExisting(_root, parsed.Value);

            var outcome = result.Error?.Code ?? "found";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (!result.IsSuccess)
            {
                continue;
            }

            Assert.True(result.Value == _root || result.Value.StartsWith(_root + "/", StringComparison.Ordinal), result.Value);
            Assert.True(UnixRealPath.TryResolve(result.Value, out var real, out _), result.Value);
            Assert.True(real == realRoot || real.StartsWith(realRoot + "/", StringComparison.Ordinal), $"{result.Value} is really {real}");
            Assert.DoesNotContain(UnixFileStat.TryGet(result.Value)!.Value, outside);
            Assert.DoesNotContain(real.Split('/'), PathGuard.IsReservedName);
            if (File.Exists(result.Value))
            {
                Assert.NotEqual(Canary, File.ReadAllText(result.Value));
            }
        }

        // The walk found things and met the outward links often enough to count.
        var summary = string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}"));
        Assert.True(outcomes.GetValueOrDefault("found") > 150, summary);
        Assert.True(outcomes.GetValueOrDefault("path.symlink_outside_root") > 100, summary);
    }

    [Fact]
    public void Random_new_names_never_throw_and_land_directly_in_their_parent()
    {
        var random = new Random(7);
        var docs = PathGuard.Parse("docs").Value;
        var accepted = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var name = i % 2 == 0 ? RandomText(random) : RandomPath(random);

            var result = PathGuard.ResolveForCreate(_root, docs, name);

            if (!result.IsSuccess)
            {
                Assert.StartsWith("path.", result.Error!.Code, StringComparison.Ordinal);
                continue;
            }

            accepted++;
            Assert.Equal(Path.Combine(_root, "docs"), Path.GetDirectoryName(result.Value));
            Assert.Equal(name.Normalize(NormalizationForm.FormC), Path.GetFileName(result.Value));
            Assert.False(PathGuard.IsReservedName(Path.GetFileName(result.Value)));
        }

        Assert.InRange(accepted, 500, 4_500);
    }

    // Mostly names from the tree joined by '/', now and then junk or an odd separator.
    private static string RandomPath(Random random)
    {
        var builder = new StringBuilder();
        if (random.Next(20) == 0)
        {
            builder.Append('/');
        }

        var count = random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(random.Next(10) == 0 ? OddSeparators[random.Next(OddSeparators.Length)] : "/");
            }

            builder.Append(random.Next(5) == 0 ? JunkNames[random.Next(JunkNames.Length)] : TreeNames[random.Next(TreeNames.Length)]);
        }

        if (random.Next(20) == 0)
        {
            builder.Append('/');
        }

        return builder.ToString();
    }

    // Random bytes read as UTF-8, as Latin-1, as raw UTF-16 (lone surrogates and all), from a hostile alphabet, or long runs.
    private static string RandomText(Random random)
    {
        var bytes = new byte[random.Next(0, 96)];
        random.NextBytes(bytes);
        return random.Next(5) switch
        {
            0 => Encoding.UTF8.GetString(bytes),
            1 => Encoding.Latin1.GetString(bytes),
            2 => new string(MemoryMarshal.Cast<byte, char>(bytes.AsSpan(0, bytes.Length & ~1))),
            3 => new string(bytes.Select(b => Alphabet[b % Alphabet.Length]).ToArray()),
            _ => string.Join('/', bytes.Take(random.Next(1, 24)).Select(b => new string(b % 2 == 0 ? 'a' : '가', b + random.Next(60)))),
        };
    }

    private void Link(string path, string target) => File.CreateSymbolicLink(Path.Combine(_root, path), target);

    private Result<string> Resolve(string path)
    {
        var parsed = PathGuard.Parse(path);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return PathGuard.ResolveExisting(_root, parsed.Value);
    }

    private void AssertResolveFails(string code, string path)
    {
        var result = Resolve(path);

        Assert.Equal(code, result.Error?.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
    }

    private void AssertCreateFails(string code, string name, string parent = "")
    {
        var result = PathGuard.ResolveForCreate(_root, PathGuard.Parse(parent).Value, name);

        Assert.Equal(code, result.Error?.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
    }

    private static void AssertRejected(string code, string path)
    {
        var result = PathGuard.Parse(path);

        Assert.Equal(code, result.Error?.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
    }
}

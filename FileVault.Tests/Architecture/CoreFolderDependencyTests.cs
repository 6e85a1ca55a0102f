
namespace FileVault.Tests.Architecture;

/// <summary>
/// Dependencies between Core's feature folders run one way, from features down to Jobs, Access, Catalog and Storage, so
/// a folder can be read, changed and tested with only what lies below it. A folder depends on another when one of its
/// files has <c>using FileVault.Core.X</c>, names <c>FileVault.Core.X.</c> in full, or qualifies one of X's types as
/// <c>X.Type</c>. Data (the DbContext, which maps every folder's entities) is left out on both sides.
/// </summary>
public sealed class CoreFolderDependencyTests
{
    [Fact]
    public void Core_folders_import_each_other_in_no_cycle()
    {
        var graph = CoreFolderGraph.Read();

        var cycles = CoreFolderGraph.Cycles(graph.Edges.Keys);

        Assert.True(cycles.Count == 0, "Core folders in a cycle:\n" + string.Join("\n\n",
            cycles.Select(cycle => string.Join(", ", cycle) + ":\n" + string.Join('\n', graph.Explain(cycle)))));
    }

    [Fact]
    public void A_cycle_of_three_folders_is_found()
    {
        var cycles = CoreFolderGraph.Cycles([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")]);

        Assert.Equal(["A, B, C"], cycles.Select(c => string.Join(", ", c)));
    }

    [Theory]
    [InlineData("using FileVault.Core.Trash;\nnamespace FileVault.Core.Operations;", true)]
    [InlineData("namespace FileVault.Core.Operations;\nclass C { object t = typeof(FileVault.Core.Trash.TrashMover); }", true)]
    [InlineData("namespace FileVault.Core.Operations;\nclass C { object t = typeof(Trash.TrashMover); }", true)]
    [InlineData("namespace FileVault.Core.Operations;\n// see Trash.TrashMover\nclass C { string Trash => \"\"; int n = Trash.Length; }", false)]
    public void A_dependency_is_seen_however_it_is_written(string code, bool depends) =>
        Assert.Equal(depends, CoreFolderGraph.Depends(SourceFiles.WithoutComments(code), "Trash", ["TrashMover"]));
}

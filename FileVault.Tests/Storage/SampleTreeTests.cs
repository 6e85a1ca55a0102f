using System.Text;
using FileVault.Core.Storage;

namespace FileVault.Tests.Storage;

public sealed class SampleTreeTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "filevault-sample-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Creates_a_few_hundred_files_with_korean_names_some_in_nfd()
    {
        var count = SampleTree.Create(_directory);

        var files = Directory.GetFiles(_directory, "*", SearchOption.AllDirectories);
        Assert.Equal(count, files.Length);
        Assert.InRange(count, 200, 1000);
        var names = files.Select(Path.GetFileName).ToList();
        Assert.Contains(names, n => n!.IsNormalized(NormalizationForm.FormC) && n.Any(c => c is >= '가' and <= '힣'));
        Assert.Contains(names, n => !n!.IsNormalized(NormalizationForm.FormC));
    }
}

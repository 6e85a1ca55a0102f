using System.Text;

namespace FileVault.Core.Storage;

/// <summary>A small, deterministic file server for a first look: a few hundred files, Korean names among them, some in NFD as Macs write them.</summary>
public static class SampleTree
{
    private static readonly string[] Departments = ["영업부", "개발팀", "인사팀", "Marketing", "공용 자료", "디자인"];
    private static readonly string[] Subfolders = ["2024", "2025", "회의록", "Projects", "보고서"];
    private static readonly (string Stem, string Extension)[] Documents =
    [
        ("견적서", ".xlsx"), ("회의록", ".txt"), ("계약서 초안", ".docx"), ("발표 자료", ".pptx"),
        ("report", ".pdf"), ("budget", ".csv"), ("사진", ".jpg"), ("notes", ".md"), ("설계 문서", ".pdf"),
    ];

    /// <summary>Creates the tree under <paramref name="directory"/> and returns how many files it wrote.</summary>
    public static int Create(string directory)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(20261125);
        var count = 0;
        foreach (var department in Departments)
        {
            foreach (var sub in Subfolders)
            {
                var folder = Path.Combine(directory, department, sub);
                Directory.CreateDirectory(folder);
                for (var i = 0; i < 10; i++)
                {
                    var (stem, extension) = Documents[random.Next(Documents.Length)];
                    var name = $"{stem}_{sub}_{i + 1:00}{extension}";
                    // Every seventh name in NFD, as a Mac client stores it on a share.
                    if (count % 7 == 3)
                    {
                        name = name.Normalize(NormalizationForm.FormD);
                    }

                    var body = Encoding.UTF8.GetBytes($"{department}/{sub}/{name}\n" + new string('가', random.Next(10, 400)));
                    File.WriteAllBytes(Path.Combine(folder, name), body);
                    File.SetLastWriteTimeUtc(Path.Combine(folder, name), new DateTime(2024, 1, 1, 9, 0, 0, DateTimeKind.Utc).AddHours(count * 7));
                    count++;
                }
            }
        }

        File.WriteAllText(Path.Combine(directory, "읽어주세요.txt"), "FileVault 샘플 파일 서버입니다. This is a sample file server.\n");
        return count + 1;
    }
}

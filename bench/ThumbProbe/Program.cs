using System.Diagnostics;
using System.Globalization;
using FileVault.Core.Media;
using Microsoft.Extensions.Options;

// Usage: ThumbProbe <folder of .jpg> <workers>
// Makes every photo's thumbnail at 150, 300 and 800 px with FileVault's generator (WebP, the default), `workers` at a
// time, after one unmeasured pass, and prints `fv_<size>_per_s: N` lines (images per second) for bench/thumbs.sh.
if (args.Length != 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var workers) || workers < 1)
{
    Console.Error.WriteLine("usage: ThumbProbe <folder> <workers>");
    return 2;
}

var photos = Directory.GetFiles(args[0], "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
var generator = new ThumbnailGenerator(Options.Create(new MediaOptions()));
var sizes = new[] { ThumbnailSize.Small, ThumbnailSize.Medium, ThumbnailSize.Large };

// One unmeasured pass warms the page cache, the JIT and Skia's codecs.
Run(ThumbnailSize.Small);
foreach (var size in sizes)
{
    var clock = Stopwatch.StartNew();
    Run(size);
    var perSecond = photos.Length / clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fv_{size.Pixels()}_per_s: {perSecond:0.0}"));
}

return 0;

void Run(ThumbnailSize size) =>
    Parallel.ForEach(photos, new ParallelOptions { MaxDegreeOfParallelism = workers }, path =>
    {
        using var stream = new BufferedStream(File.OpenRead(path), 64 * 1024);
        var made = generator.Generate(stream, size);
        if (!made.IsSuccess)
        {
            throw new InvalidOperationException($"{path}: {made.Error}");
        }
    });

using System.Globalization;
using System.Text;
using Btm.Core.IO;

namespace Btm.Core.Checkpoints;

/// <summary>
/// Records that a stage's output folder holds exactly what a checkpoint archive restored or
/// recorded: the archive's SHA-256 plus each file's path, size and mtime (spec:
/// docs/checkpoints.md). When it still matches, a no-op build skips re-extracting the archive;
/// any touched, added or removed file breaks the match and the archive is restored again.
/// </summary>
public static class OutputStamp
{
    private const string Header = "btm-output-stamp/1";

    public static string Describe(string archiveSha256, string outputDir)
    {
        var text = new StringBuilder(Header).Append('\n').Append(archiveSha256).Append('\n');
        var files = Directory.GetFiles(outputDir, "*", SearchOption.AllDirectories);
        var relative = new string[files.Length];
        for (var i = 0; i < files.Length; i++)
            relative[i] = Path.GetRelativePath(outputDir, files[i]).Replace('\\', '/');
        // Sorted as strings (not LINQ over tuples): a no-op build pays JIT time for every new generic shape.
        Array.Sort(relative, StringComparer.Ordinal);
        for (var i = 0; i < relative.Length; i++)
        {
            var info = new FileInfo(Path.Combine(outputDir, relative[i]));
            text.Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(relative[i]).Append('\n');
        }
        return text.ToString();
    }

    public static void Write(string stampPath, string archiveSha256, string outputDir) =>
        AtomicFile.WriteAllBytes(stampPath, Encoding.UTF8.GetBytes(Describe(archiveSha256, outputDir)));

    public static bool Matches(string stampPath, string archiveSha256, string outputDir) =>
        File.Exists(stampPath) && Directory.Exists(outputDir)
        && File.ReadAllText(stampPath) == Describe(archiveSha256, outputDir);
}

using Btm.Core;

namespace Btm.Build.Pipeline;

/// <summary>Copies the binaries a package declares out of a builder's tree or a stage's output.</summary>
public static class BinaryCollector
{
    /// <summary>Looks for each binary in <paramref name="searchDirs"/> in turn; a missing one names the btm.json field.</summary>
    public static void Collect(BuildUnit unit, IReadOnlyList<string> searchDirs, string outDir, IReadOnlyList<string>? only = null)
    {
        Directory.CreateDirectory(outDir);
        foreach (var binary in only ?? unit.Package.Binaries)
        {
            var file = unit.BinaryFileName(binary);
            var source = searchDirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);
            if (source is null)
            {
                var found = searchDirs.Where(Directory.Exists)
                    .SelectMany(d => Directory.EnumerateFiles(d).Select(Path.GetFileName)).Take(10).ToList();
                throw new BuildFailedException(
                    $"{unit.Package.ManifestPath}: binaries: '{binary}' was not produced: looked for {file} in {string.Join(", ", searchDirs)}" +
                    (found.Count > 0 ? $" (found: {string.Join(", ", found)})" : " (nothing there)") +
                    ". Fix: make the build write it there, map it with \"install\": { \"<path in the build tree>\": \"bin/" + file + "\" }, or correct the name in btm.json");
            }
            File.Copy(source, Path.Combine(outDir, file), overwrite: true);
        }
    }

    /// <summary>Copies the declared binaries from one stage's output to another's (mode bits kept).</summary>
    public static void CopyBetweenStages(BuildUnit unit, string fromDir, string toDir)
    {
        Directory.CreateDirectory(toDir);
        foreach (var binary in unit.Package.Binaries)
        {
            var file = unit.BinaryFileName(binary);
            var source = Path.Combine(fromDir, file);
            if (!File.Exists(source))
                throw new BuildFailedException($"{unit}: {source} is missing; run with --force to rebuild every stage");
            File.Copy(source, Path.Combine(toDir, file), overwrite: true);
        }
    }
}

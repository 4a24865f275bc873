namespace Btm.Build.Pipeline;

/// <summary>Copies the binaries a package declares out of its builder's tree.</summary>
public static class BinaryCollector
{
    public static void Collect(BuildUnit unit, IReadOnlyList<string> searchDirs, string outDir)
    {
        Directory.CreateDirectory(outDir);
        foreach (var binary in unit.Package.Binaries)
        {
            var file = unit.BinaryFileName(binary);
            var source = searchDirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);
            if (source is null)
            {
                var found = searchDirs.Where(Directory.Exists)
                    .SelectMany(d => Directory.EnumerateFiles(d).Select(Path.GetFileName)).Take(10).ToList();
                throw new InvalidOperationException(
                    $"{unit.Package.ManifestPath}: binaries: '{binary}' was not produced: looked for {file} in {string.Join(", ", searchDirs)}" +
                    (found.Count > 0 ? $" (found: {string.Join(", ", found)})" : " (nothing there)") +
                    ". Fix: make the build write it there, or correct the name in btm.json");
            }
            File.Copy(source, Path.Combine(outDir, file), overwrite: true);
        }
    }
}

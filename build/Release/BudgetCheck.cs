using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// Verify's budgets: for every platform package of a component with btm.json "budgets", the size of
/// its programs, its tarball's size, the newest GLIBC_ version its programs need, the minimum macOS
/// and the Windows subsystem version they declare, each against its limit. Prints one table; each
/// budget missed is a problem naming the package, the budget, the limit and the value.
/// </summary>
public static class BudgetCheck
{
    /// <summary>11.0 and 11.0.0 are the same version (System.Version orders a missing part before 0).</summary>
    private static bool AtMost(Version value, Version limit) => Full(value) <= Full(limit);

    private static Version Full(Version v) => new(v.Major, v.Minor, Math.Max(0, v.Build), Math.Max(0, v.Revision));

    public sealed record Row(string Package, string Budget, string Limit, string Value, bool Met);

    public static List<string> Run(BuildContext context, string releaseDir, ReleaseManifest manifest)
    {
        var rows = new List<Row>();
        var scratch = Directory.CreateTempSubdirectory("btm-budgets-").FullName;
        try
        {
            foreach (var package in manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                if (!context.Graph.Contains(package.Component) || context.Graph[package.Component].Budgets is not { } set)
                    continue;
                var platform = PlatformId.Parse(package.Platform!);
                var budget = set.For(platform);
                if (budget.IsEmpty)
                    continue;
                rows.AddRange(Measure(releaseDir, package, platform, budget, Path.Combine(scratch, package.Name.Replace('/', '_'))));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        if (rows.Count == 0)
            return [];
        var widths = new[] { rows.Max(r => r.Package.Length), rows.Max(r => r.Budget.Length), Math.Max(5, rows.Max(r => r.Limit.Length)), Math.Max(5, rows.Max(r => r.Value.Length)) };
        context.Info($"budgets:\n  {"package".PadRight(widths[0])}  {"budget".PadRight(widths[1])}  {"limit".PadRight(widths[2])}  {"value".PadRight(widths[3])}  result\n" +
            string.Join("\n", rows.Select(r => $"  {r.Package.PadRight(widths[0])}  {r.Budget.PadRight(widths[1])}  {r.Limit.PadRight(widths[2])}  {r.Value.PadRight(widths[3])}  {(r.Met ? "met" : "MISSED")}")));
        return rows.Where(r => !r.Met).Select(r => $"{r.Package}: budget {r.Budget} is {r.Limit}, the release has {r.Value}").ToList();
    }

    private static IEnumerable<Row> Measure(string releaseDir, ManifestPackage package, PlatformId platform, Budget budget, string scratch)
    {
        var programs = package.Files.Where(f => f.Role == "release").ToList();
        if (budget.MaxSize is { } maxSize)
        {
            var size = programs.Sum(f => f.Size);
            yield return new Row(package.Name, "maxSize", Budget.Human(maxSize), Budget.Human(size), size <= maxSize);
        }
        if (budget.MaxCompressedSize is { } maxCompressed)
            yield return new Row(package.Name, "maxCompressedSize", Budget.Human(maxCompressed), Budget.Human(package.Size), package.Size <= maxCompressed);
        var wanted = (budget.GlibcFloor is not null && platform.Os == "linux" && !platform.Musl) || (budget.MacosMin is not null && platform.Os == "darwin")
            || (budget.WindowsMin is not null && platform.Os == "win32");
        if (!wanted)
            yield break;
        Directory.CreateDirectory(scratch);
        var files = TarballReader.Extract(Path.Combine(releaseDir, package.Tarball), p => programs.Any(f => f.Path == p), scratch);
        if (budget.GlibcFloor is { } floor && platform.Os == "linux" && !platform.Musl)
        {
            var needs = files.SelectMany(f => GlibcSymbolVersions.Read(f.File).Select(n => (File: f.Path, Need: n))).ToList();
            var top = needs.OrderByDescending(n => n.Need.Number).FirstOrDefault();
            var value = top.Need is null ? "none (static)" : $"{top.Need.Number.Major}.{top.Need.Number.Minor} ({top.Need.Symbol} in {Path.GetFileName(top.File)})";
            yield return new Row(package.Name, "glibcFloor", $"{floor}", value, top.Need is null || AtMost(top.Need.Number, floor));
        }
        if (budget.MacosMin is { } macos && platform.Os == "darwin")
        {
            foreach (var (path, file) in files)
            {
                var declared = MachOCheck.Check(file, platform.Cpu).MinimumOs;
                var version = declared is not null && Version.TryParse(declared, out var v) ? v : null;
                yield return new Row(package.Name, "macosMin", $"{macos}", declared is null ? $"none declared ({Path.GetFileName(path)})" : $"{declared} ({Path.GetFileName(path)})",
                    version is not null && AtMost(version, macos));
            }
        }
        if (budget.WindowsMin is { } windows && platform.Os == "win32")
        {
            foreach (var (path, file) in files)
            {
                var subsystem = ExecutableTarget.WindowsSubsystem(file);
                yield return new Row(package.Name, "windowsMin", $"{windows}", subsystem is null ? $"not a PE file ({Path.GetFileName(path)})" : $"{subsystem} ({Path.GetFileName(path)})",
                    subsystem is not null && AtMost(subsystem, windows));
            }
        }
    }
}

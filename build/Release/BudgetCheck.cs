using System.Diagnostics;
using Btm.Build.Pipeline;
using Btm.Core;
using Btm.Core.IO;
using Btm.Cake.Logging;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// Verify's budgets: for every platform package of a component with btm.json "budgets", the size of
/// its programs, its tarball's size, the newest GLIBC_ version its programs need, the minimum macOS
/// and the Windows subsystem version they declare, each against its limit; on targets this host runs
/// natively, the verify probe's start-up time (alone or as a ratio to a reference program) and peak
/// memory. Prints one table; each budget missed is a problem naming the package, the budget, the
/// limit and the value.
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
        var notMeasured = new SortedSet<string>(StringComparer.Ordinal);
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
                var folder = Path.Combine(scratch, package.Name.Replace('/', '_'));
                rows.AddRange(Measure(releaseDir, package, platform, budget, folder));
                if (budget.RunsProbe && !context.Toolchains.Resolve(platform, context.Settings.GlibcFloor).RunsNatively(context.Host))
                    notMeasured.Add(platform.ToString());
                else if (budget.RunsProbe)
                    rows.AddRange(MeasureRun(context, releaseDir, package, platform, budget, folder + "-run"));
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
        if (notMeasured.Count > 0)
            context.Info($"start-up and memory budgets not measured for {string.Join(", ", notMeasured)}: they do not run natively on {context.Host}, and an emulator's speed says nothing of a user's machine");
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

    private const int Runs = 11;

    /// <summary>
    /// maxStartupMs, maxStartupRatio and maxRssMiB: the verify probe of each program, run from the
    /// unpacked tarball after one warm-up run (a compressed program extracts once, as on a user's
    /// second run). Peak memory comes from GNU time in runs of their own, so its start-up is not
    /// counted in the times.
    /// </summary>
    private static IEnumerable<Row> MeasureRun(BuildContext context, string releaseDir, ManifestPackage package, PlatformId platform, Budget budget, string scratch)
    {
        var declared = context.Graph[package.Component];
        var probe = declared.Verify ?? VerifyProbe.Default;
        SafeArchive.Extract(Path.Combine(releaseDir, package.Tarball), Path.GetFileName(package.Tarball), scratch, 1);
        // Each program's cache of its own (a compressed one extracts into it), not the user's.
        var environment = new Dictionary<string, string> { ["BTM_DLX_DIR"] = Path.Combine(scratch, ".dlx") };
        foreach (var binary in declared.Binaries)
        {
            var file = Path.Combine(scratch, "bin", binary + platform.ExecutableSuffix);
            string[] command = [file, .. probe.Args];
            Timed(command, environment);
            if (budget.MaxStartupMs is { } maxMs || budget.MaxStartupRatio is not null)
            {
                var reference = budget.StartupReference is { } r && budget.MaxStartupRatio is not null
                    ? [context.ToolLookup.Find(r[0]) ?? throw new BuildFailedException($"budgets.startupReference: {r[0]} is not on PATH: install it, or name a program this machine has"), .. r.Skip(1)]
                    : (string[]?)null;
                var times = new List<double>();
                var referenceTimes = new List<double>();
                if (reference is not null)
                    Timed(reference, environment);
                for (var i = 0; i < Runs; i++)
                {
                    times.Add(Timed(command, environment));
                    if (reference is not null)
                        referenceTimes.Add(Timed(reference, environment));
                }
                var median = Median(times);
                if (budget.MaxStartupMs is { } limit)
                    yield return new Row(package.Name, "maxStartupMs", $"{limit:0.##} ms", $"{median:0.0} ms ({binary}, median of {Runs})", median <= limit);
                if (reference is not null && budget.MaxStartupRatio is { } maxRatio)
                {
                    var ratio = median / Median(referenceTimes);
                    yield return new Row(package.Name, "maxStartupRatio", $"{maxRatio:0.###}",
                        $"{ratio:0.00} ({binary} {median:0.0} ms ÷ {string.Join(' ', budget.StartupReference!)} {Median(referenceTimes):0.0} ms)", ratio <= maxRatio);
                }
            }
            if (budget.MaxRssMiB is { } maxRss)
            {
                var time = context.ToolLookup.Find("time") is { } t && t.StartsWith("/usr/bin/", StringComparison.Ordinal) ? t
                    : File.Exists("/usr/bin/time") ? "/usr/bin/time"
                    : throw new BuildFailedException("budgets.maxRssMiB: GNU time measures peak memory and is not installed (Debian: apt-get install time)");
                var peak = Enumerable.Range(0, 3).Max(_ => PeakRssMiB(time, command, environment, scratch));
                yield return new Row(package.Name, "maxRssMiB", $"{maxRss:0.#} MiB", $"{peak:0.0} MiB ({binary})", peak <= maxRss);
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Wall milliseconds from start to exit; a run that fails is a failure of the release, not a slow run.</summary>
    private static double Timed(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in command.Skip(1))
            start.ArgumentList.Add(a);
        foreach (var (k, v) in environment)
            start.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new BuildFailedException($"budgets: {string.Join(' ', command)} did not finish within 60 s");
        }
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
            throw new BuildFailedException($"budgets: {string.Join(' ', command)} exited {process.ExitCode} printing '{(output + error.Result).Trim()}': the start-up budget times the verify probe, which must succeed");
        return elapsed;
    }

    /// <summary>GNU time's %M (maximum resident set size, KiB) for one run, in MiB.</summary>
    private static double PeakRssMiB(string time, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string scratch)
    {
        var report = Path.Combine(scratch, "time.txt");
        Timed([time, "-f", "%M", "-o", report, .. command], environment);
        var text = File.ReadAllText(report).Trim().Split('\n')[^1];
        return long.TryParse(text, out var kib) ? kib / 1024.0 : throw new BuildFailedException($"budgets.maxRssMiB: {time} wrote '{text}', not a size in KiB");
    }
}

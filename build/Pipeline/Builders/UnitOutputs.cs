using System.Text.RegularExpressions;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Build.Pipeline;

/// <summary>
/// What a compile hands to the Compiled stage: the declared binaries (found in the builder's
/// output folders, or where btm.json "install" maps them to bin/), and under files/ everything
/// else that ships: other "install" matches, "files" entries, and the licence texts and notices
/// (<see cref="Licensing"/>).
/// </summary>
public static partial class UnitOutputs
{
    /// <summary>The folder in a Compiled output that holds extra shipped files at their package paths.</summary>
    public const string FilesFolder = "files";

    [GeneratedRegex(@"^(LICEN[CS]E|COPYING|NOTICE)([.-].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex LegalFile();

    public static bool IsLegal(string fileName) => LegalFile().IsMatch(fileName);

    /// <summary>
    /// Copies a unit's extra shipped files (install, files, licences) from its Compiled output into
    /// a package folder at their package paths: the npm package's layout, and a psp slot's.
    /// </summary>
    public static void PlaceExtras(BuildUnit unit, string dir)
    {
        var extras = Path.Combine(unit.OutputDir(Btm.Core.Checkpoints.CheckpointStage.Compiled), FilesFolder);
        if (!Directory.Exists(extras))
            return;
        foreach (var file in Directory.EnumerateFiles(extras, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dir, Path.GetRelativePath(extras, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
    }

    /// <summary>The one way every builder's results become the Compiled output.</summary>
    public static void Collect(BuildContext context, BuildUnit unit, BuildResult output, string outDir)
    {
        var package = unit.Package;
        var (searchDirs, buildTree) = (output.BinaryDirs, output.BuildTree);
        var sourceTree = output.SourceTree ?? package.Directory;
        var installed = Install(unit, buildTree, searchDirs);
        Directory.CreateDirectory(outDir);
        var binaries = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var binary in package.Binaries)
        {
            var file = unit.BinaryFileName(binary);
            binaries.Add($"bin/{file}");
            if (installed.TryGetValue($"bin/{file}", out var mapped))
                File.Copy(mapped, Path.Combine(outDir, file), overwrite: true);
            else
                missing.Add(binary);
        }
        if (missing.Count > 0)
            BinaryCollector.Collect(unit, searchDirs, outDir, missing);
        var files = Path.Combine(outDir, FilesFolder);
        foreach (var (to, from) in installed.Where(i => !binaries.Contains(i.Key)))
            Place(from, Path.Combine(files, to), null);
        foreach (var entry in package.Files)
        {
            var matches = Match(sourceTree, entry.From);
            if (matches.Count == 0)
                throw new BuildFailedException($"{package.ManifestPath}: files: '{entry.From}' matched nothing in the source tree ({sourceTree}). Fix: correct the path");
            foreach (var match in matches)
                Place(Path.Combine(sourceTree, match), Path.Combine(files, Destination(entry.To, entry.From, match, matches.Count, package.ManifestPath, "files")), entry.Mode);
        }
        Licensing.Collect(context, unit, output.SourceTree, files, output.RuntimeLicences);
    }

    /// <summary>"install": each glob's matches in the build tree, by their shipped path.</summary>
    /// <param name="outputDirs">Where the builder put executables (CMake's runtime output folder): a glob matching nothing in the build tree is tried there, so "binaries" and "install" can name one file.</param>
    private static Dictionary<string, string> Install(BuildUnit unit, string buildTree, IReadOnlyList<string> outputDirs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (glob, given) in unit.Package.Install)
        {
            // The build tree first, then where the builder put executables (CMake's runtime output
            // folder: "binaries" and "install" may name one file); on win32 an executable has .exe,
            // so "src/lua": "bin/lua" also means src/lua.exe → bin/lua.exe.
            var suffix = unit.Platform.ExecutableSuffix;
            var patterns = suffix.Length > 0 && !glob.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? new[] { glob, glob + suffix } : [glob];
            var (tree, pattern, matches) = new[] { buildTree }.Concat(outputDirs).Where(Directory.Exists)
                .SelectMany(dir => patterns.Select(p => (Tree: dir, Pattern: p)))
                .Select(c => (c.Tree, c.Pattern, Matches: Match(c.Tree, c.Pattern)))
                .FirstOrDefault(c => c.Matches.Count > 0, (buildTree, glob, []));
            if (matches.Count == 0)
                throw new BuildFailedException($"{unit.Package.ManifestPath}: install: '{glob}' matched nothing in the build tree {buildTree}. " +
                    "Fix: give the path the build writes, relative to that folder");
            var to = pattern != glob && !given.EndsWith('/') && !given.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? given + suffix : given;
            foreach (var match in matches)
                map[Destination(to, pattern, match, matches.Count, unit.Package.ManifestPath, $"install.{glob}")] = Path.Combine(tree, match);
        }
        return map;
    }

    /// <summary>
    /// A destination ending in '/' is a folder: each match keeps its path below the glob's literal
    /// folders ("usr/lib/python3.11/**" → "lib/python3.11/" ships a whole tree); otherwise a single file's path.
    /// </summary>
    private static string Destination(string to, string glob, string match, int count, string manifest, string field)
    {
        if (to.EndsWith('/'))
        {
            var segments = glob.Replace('\\', '/').Split('/');
            var literal = segments.TakeWhile(s => s.IndexOfAny(['*', '?', '[']) < 0).Count();
            // A glob without wildcards names the file itself: its folder is the base.
            var depth = literal == segments.Length ? literal - 1 : literal;
            return to + string.Join('/', match.Replace('\\', '/').Split('/').Skip(depth));
        }
        if (count > 1)
            throw new BuildFailedException($"{manifest}: {field}: {count} files match but '{to}' names one file. Fix: end it with '/' to ship them into a folder");
        return to;
    }

    // The same glob rules as btm.json "inputs" (docs/package-model.md).
    private static IReadOnlyList<string> Match(string root, string glob) => InputSet.Collect(root, [glob]);

    private static void Place(string from, string to, UnixFileMode? mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
        if (mode is { } m && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(to, m);
    }
}

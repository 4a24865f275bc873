using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Pipeline;

namespace Btm.Build.Pipeline.Sources;

/// <summary>
/// A unit's source tree (&lt;work&gt;/src): the package folder's own files (BTM's build/&lt;mode&gt;
/// folders left out) with each pinned source unpacked and patched in. Builds run there, so an
/// upstream tree is never written to, vendored or fetched.
/// </summary>
public static class SourceTree
{
    public static string PathFor(BuildUnit unit) => Path.Combine(unit.WorkDir, "src");

    /// <summary>Fills a fresh source tree; returns its path.</summary>
    public static string Prepare(BuildContext context, BuildUnit unit)
    {
        var tree = PathFor(unit);
        if (Directory.Exists(tree))
            Directory.Delete(tree, recursive: true);
        Fill(context, unit, tree);
        return tree;
    }

    /// <summary>
    /// Fills <paramref name="tree"/> with the unit's package and sources. It depends only on the
    /// package's inputs and btm.json, never on the unit's platform or mode.
    /// </summary>
    public static void Fill(BuildContext context, BuildUnit unit, string tree)
    {
        Directory.CreateDirectory(tree);
        CopyPackage(unit.Package.Directory, tree);
        foreach (var source in unit.Package.Sources)
        {
            var archive = Fetch(context, unit.Package, source);
            var into = source.Into == "." ? tree : PathGuard.Resolve(tree, source.Into);
            var files = SafeArchive.Extract(archive, source.File, into, source.StripComponents);
            context.Detail($"{unit}: unpacked {source.File} ({files} files) into src/{(source.Into == "." ? "" : source.Into)}");
            if (source.DebianPatches is { } debian)
                ApplyDebianSeries(context, unit, source, debian, into);
            foreach (var patch in source.Patches)
                Apply(context, unit, PathGuard.Resolve(unit.Package.Directory, patch), patch, into);
        }
    }

    /// <summary>
    /// Copies a filled tree: modes, links and modification times kept, since make compares the
    /// times of generated files (configure, Makefile.in) with their sources.
    /// </summary>
    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
            Copy(entry, Path.Combine(to, entry.Name));
    }

    /// <summary>
    /// The archive from the download cache, fetched first when missing (mirrors in order, each
    /// download's hash checked before it enters the cache). With --offline, only the cache.
    /// </summary>
    public static string Fetch(BuildContext context, PackageManifest package, SourceSpec source)
    {
        var cache = context.Downloads;
        if (cache.Find(source.Sha256, context.Warn) is { } cached)
            return cached;
        if (context.Options.Offline)
        {
            throw new BuildFailedException($"{package.ManifestPath}: sources: {source.File} (sha256 {source.Sha256}) is not in the download cache " +
                $"{cache.Root} and --offline forbids fetching it. Fix: run once without --offline, or put the file there named {source.Sha256}");
        }
        var attempts = new List<string>();
        foreach (var fetcher in SourceFetchers.Default)
        {
            foreach (var place in fetcher.Places(source))
            {
                var temp = cache.TempFor(source.Sha256);
                try
                {
                    if (fetcher.Fetch(context, source, place, temp) is { } failure)
                    {
                        attempts.Add($"{place}: {failure}");
                        context.Warn($"{source.File}: {place}: {failure}; trying the next mirror");
                        continue;
                    }
                    var (path, actual) = cache.Admit(temp, source.Sha256);
                    if (path is not null)
                    {
                        context.Success($"fetched {source.File} from {place} (sha256 verified)");
                        return path;
                    }
                    var mismatch = $"{place}: sha256 is {actual}, btm.json pins {source.Sha256}";
                    attempts.Add(mismatch);
                    context.Warn($"{source.File}: {mismatch}; trying the next mirror");
                }
                finally
                {
                    File.Delete(temp);
                }
            }
        }
        throw new BuildFailedException($"{package.ManifestPath}: sources: could not get {source.File} (sha256 {source.Sha256}): " +
            string.Join("; ", attempts) + ". Fix: add a mirror that serves these exact bytes, or correct the sha256 if upstream re-released");
    }

    /// <summary>
    /// Debian's patch series (debian/patches/series in the pinned packaging archive), each patch
    /// applied with -p1 as quilt does, in order; a patch that does not apply stops the build, naming it.
    /// </summary>
    private static void ApplyDebianSeries(BuildContext context, BuildUnit unit, SourceSpec source, DebianPatchSet set, string into)
    {
        var archive = Fetch(context, unit.Package, new SourceSpec(
            source.Urls.Select(u => u[..(u.LastIndexOf('/') + 1)] + set.File).ToList(), source.Debian, set.File, set.Sha256, 0, ".", []));
        var unpacked = Path.Combine(unit.WorkDir, "debian-" + set.Sha256[..12]);
        if (Directory.Exists(unpacked))
            Directory.Delete(unpacked, recursive: true);
        SafeArchive.Extract(archive, set.File, unpacked, 0);
        var series = Path.Combine(unpacked, "debian", "patches", "series");
        var names = File.Exists(series)
            ? File.ReadAllLines(series).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]).ToList()
            : [];
        if (set.Skip.FirstOrDefault(s => !names.Contains(s)) is { } unknown)
            throw new ConfigException(unit.Package.ManifestPath, $"sources[{unit.Package.Sources.ToList().IndexOf(source)}].debianPatches.skip",
                $"'{unknown}' is not in {set.File}'s debian/patches/series", $"use one of: {string.Join(", ", names)}");
        var applied = names.Where(n => !set.Skip.Contains(n)).ToList();
        foreach (var name in applied)
            Apply(context, unit, PathGuard.Resolve(Path.Combine(unpacked, "debian", "patches"), name), $"{set.File}: debian/patches/{name}", into);
        context.Info($"{unit}: applied Debian's {applied.Count} patch(es) from {set.File}" + (set.Skip.Count > 0 ? $", skipped {string.Join(", ", set.Skip)} (debianPatches.skip)" : ""));
        Directory.Delete(unpacked, recursive: true);
    }

    private static void Apply(BuildContext context, BuildUnit unit, string patchFile, string display, string into)
    {
        var patch = context.ToolLookup.Find("patch")
            ?? throw new BuildFailedException($"{unit.Package.ManifestPath}: sources: applying {display} needs `patch` (apt-get install patch)");
        var (exit, output) = ToolProbe.RunIn(into, patch, "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-i", patchFile);
        if (exit != 0)
            throw new BuildFailedException($"{unit.Package.ManifestPath}: sources: patch {display} does not apply:\n{output.Trim()}\n" +
                "Fix: regenerate it against the pinned source (diff -ru a/ b/, applied with -p1)");
        context.Detail($"{unit}: applied {display}");
    }

    /// <summary>The package folder, minus BTM's own output (build/dev, build/prod at its root); links copied as links.</summary>
    private static void CopyPackage(string from, string to)
    {
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.Name == BuildOutput.Folder)
            {
                if (entry is DirectoryInfo build)
                    CopyBuildFolder(build, target);
                continue;
            }
            Copy(entry, target);
        }
    }

    private static void CopyBuildFolder(DirectoryInfo build, string target)
    {
        foreach (var entry in build.EnumerateFileSystemInfos())
        {
            if (BuildOutput.IsModeFolder(entry.Name))
                continue;
            Directory.CreateDirectory(target);
            Copy(entry, Path.Combine(target, entry.Name));
        }
    }

    private static void Copy(FileSystemInfo entry, string target)
    {
        if (entry.LinkTarget is { } link)
        {
            File.CreateSymbolicLink(target, link);
            return;
        }
        if (entry is DirectoryInfo dir)
        {
            Directory.CreateDirectory(target);
            foreach (var child in dir.EnumerateFileSystemInfos())
                Copy(child, Path.Combine(target, child.Name));
            return;
        }
        File.Copy(entry.FullName, target);
        File.SetLastWriteTimeUtc(target, entry.LastWriteTimeUtc);
    }
}

using Btm.Cake.Logging;
using Btm.Build.Pipeline.Sources;
using Btm.Cake.Make;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>
/// Drives a makefile as it is, in a copy of the source tree in the unit's work tree, so upstream
/// makefiles that build in place (objects beside the sources) run unmodified and the package
/// folder is never written to.
/// </summary>
public sealed class MakePackageBuilder : IPackageBuilder
{
    public string Name => "make";

    public string Description => "Makefile.<platform>, Makefile.<os> or Makefile in make.directory, run in a copy of the source tree";

    public ToolRequirement Tool { get; } = new("make", "make", null, null, new Dictionary<string, string>
    {
        ["linux"] = "apt-get install make",
        ["darwin"] = "xcode-select --install",
        ["win32"] = "choco install make",
    });

    public void Compile(BuildContext context, BuildUnit unit, string outDir)
    {
        var (tree, directory, binDir) = Tree(context, unit);
        if (Btm.Cake.Make.MakeRunner.SelectMakefile(directory, unit.Platform.ToString()) is { } makefile)
            context.Info($"{unit}: make -f {Path.GetFileName(makefile)} in {Path.GetRelativePath(tree, directory).Replace('\\', '/')} " +
                "(the first of Makefile.<platform>, Makefile.<os>, GNUmakefile, Makefile, makefile there)");
        var guard = PackageFolderGuard.Watch(unit);
        context.Make(Settings(context, unit, directory, binDir, unit.Package.Make.Targets));
        guard.Check(unit);
        UnitOutputs.Collect(context, unit, [binDir], tree, tree, outDir);
    }

    public string Test(BuildContext context, BuildUnit unit)
    {
        var (_, directory, binDir) = Tree(context, unit);
        context.Make(Settings(context, unit, directory, binDir, [unit.Package.Make.TestTarget]));
        return $"make {unit.Package.Make.TestTarget} passed";
    }

    /// <summary>The unit's source tree (made afresh with its work tree), the makefile's folder in it, and BTM_OUT_DIR.</summary>
    private static (string Tree, string Directory, string BinDir) Tree(BuildContext context, BuildUnit unit)
    {
        var fresh = context.WorkTrees.Prepare(context, unit, $"path map: {PathMap.Flags(unit) ?? "(none)"}");
        var tree = fresh || !Directory.Exists(SourceTree.PathFor(unit)) ? SourceTree.Prepare(context, unit) : SourceTree.PathFor(unit);
        var directory = unit.Package.Make.Directory == "." ? tree : PathGuard.Resolve(tree, unit.Package.Make.Directory);
        if (!Directory.Exists(directory))
            throw new BuildFailedException($"{unit.Package.ManifestPath}: make.directory: {unit.Package.Make.Directory} is not a folder of the source tree. " +
                "Fix: give the folder that holds the makefile, relative to the package folder (or to the unpacked sources' \"into\")");
        var binDir = Path.Combine(unit.WorkDir, "bin");
        Directory.CreateDirectory(binDir);
        return (tree, directory, binDir);
    }

    private static MakeSettings Settings(BuildContext context, BuildUnit unit, string directory, string binDir, IReadOnlyList<string> targets)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in unit.Package.Make.Variables)
            variables[name] = value;
        variables["BTM_OUT_DIR"] = binDir;
        variables["BTM_WORK_DIR"] = unit.WorkDir;
        variables["BTM_MODE"] = unit.Mode.Id;
        variables["BTM_PLATFORM"] = unit.Platform.ToString();
        variables["BTM_EXE_SUFFIX"] = unit.Platform.ExecutableSuffix;
        variables["BTM_VERSION"] = context.VersionOf(unit.Package);
        // The emulator that runs a target binary here (empty when it runs natively): `$(BTM_RUN) ./prog`.
        variables["BTM_RUN"] = unit.Toolchain.Cross && unit.Toolchain.Emulator is { Count: > 0 } emulator ? string.Join(" ", emulator) : "";
        // BTM's own flags travel with the compiler, before the makefile's: they add to a project's
        // flags and never replace them (xxhash's CFLAGS ?= -O3 stands, where a CFLAGS from BTM would
        // have taken its place), and a prod build of a project that asks for nothing gets -O2.
        var own = string.Join(' ', new[] { unit.Mode == BuildMode.Prod ? "-O2" : null, PathMap.Flags(unit) }.OfType<string>());
        variables["CC"] = $"{unit.Toolchain.CCompiler} {own}".TrimEnd();
        if (unit.Toolchain.CxxCompiler is { } cxx)
            variables["CXX"] = $"{cxx} {own}".TrimEnd();
        if (unit.Toolchain.Cross)
        {
            variables["AR"] = unit.Toolchain.Ar;
            variables["RANLIB"] = unit.Toolchain.Ranlib;
            variables["STRIP"] = unit.Toolchain.Strip;
        }
        var settings = new MakeSettings
        {
            Directory = directory,
            Platform = unit.Platform.ToString(),
            Variables = variables,
            Targets = targets.ToList(),
        };
        GitCeiling.Apply(unit, directory, settings.EnvironmentVariables);
        return settings;
    }
}

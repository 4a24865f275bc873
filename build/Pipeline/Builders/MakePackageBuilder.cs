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

    public BuilderSection Section { get; } = new("make", """
        {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "directory": { "type": "string", "description": "Folder of the makefile, relative to the source tree (default .)." },
            "targets": { "type": "array", "items": { "type": "string", "minLength": 1 }, "description": "Targets to build; default: the makefile's first." },
            "variables": { "type": "object", "additionalProperties": { "type": "string" }, "description": "NAME=value on make's command line." },
            "testTarget": { "type": "string", "minLength": 1, "description": "The target the Test task runs (default test)." }
          },
          "description": "how the makefile is run."
        }
        """,
        section => new MakeOptions(
            section.Known("directory", "targets", "variables", "testTarget").RelativePath("directory", "the source tree"),
            section.Strings("targets"), section.Map("variables"), section.String("testTarget", "test")),
        MakeOptions.Default);

    public ToolRequirement Tool { get; } = new("make", "make", null, null, new Dictionary<string, string>
    {
        ["linux"] = "apt-get install make",
        ["darwin"] = "xcode-select --install",
        ["win32"] = "choco install make",
    });

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var (tree, directory, binDir) = Tree(context, unit);
        if (Btm.Cake.Make.MakeRunner.SelectMakefile(directory, unit.Platform.ToString()) is { } makefile)
            context.Info($"{unit}: make -f {Path.GetFileName(makefile)} in {Path.GetRelativePath(tree, directory).Replace('\\', '/')} " +
                "(the first of Makefile.<platform>, Makefile.<os>, GNUmakefile, Makefile, makefile there)");
        context.Make(Settings(context, unit, directory, binDir, unit.Package.OptionsOf<MakeOptions>().Targets));
        return new BuildResult([binDir], tree, tree);
    }

    public TestResult Test(BuildContext context, BuildUnit unit)
    {
        var (_, directory, binDir) = Tree(context, unit);
        var target = unit.Package.OptionsOf<MakeOptions>().TestTarget;
        context.Make(Settings(context, unit, directory, binDir, [target]));
        return TestResult.Passed($"make {target} passed");
    }

    /// <summary>The unit's source tree (made afresh with its work tree), the makefile's folder in it, and BTM_OUT_DIR.</summary>
    private static (string Tree, string Directory, string BinDir) Tree(BuildContext context, BuildUnit unit)
    {
        var fresh = context.WorkTrees.Prepare(context, unit, $"path map: {PathMap.Flags(unit) ?? "(none)"}");
        var tree = fresh || !Directory.Exists(SourceTree.PathFor(unit)) ? SourceTree.Prepare(context, unit) : SourceTree.PathFor(unit);
        var options = unit.Package.OptionsOf<MakeOptions>();
        var directory = options.Directory == "." ? tree : PathGuard.Resolve(tree, options.Directory);
        if (!Directory.Exists(directory))
            throw new BuildFailedException($"{unit.Package.ManifestPath}: make.directory: {options.Directory} is not a folder of the source tree. " +
                "Fix: give the folder that holds the makefile, relative to the package folder (or to the unpacked sources' \"into\")");
        var binDir = Path.Combine(unit.WorkDir, "bin");
        Directory.CreateDirectory(binDir);
        return (tree, directory, binDir);
    }

    private static MakeSettings Settings(BuildContext context, BuildUnit unit, string directory, string binDir, IReadOnlyList<string> targets)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in unit.Package.OptionsOf<MakeOptions>().Variables)
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

/// <summary>btm.json "make": how an upstream makefile is run.</summary>
public sealed record MakeOptions(
    string Directory,
    IReadOnlyList<string> Targets,
    IReadOnlyDictionary<string, string> Variables,
    string TestTarget)
{
    public static readonly MakeOptions Default = new(".", [], new Dictionary<string, string>(), "test");
}

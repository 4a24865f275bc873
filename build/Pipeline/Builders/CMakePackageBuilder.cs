using Btm.Build.Pipeline.Sources;
using Btm.Cake.CMake;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Pipeline;

public sealed class CMakePackageBuilder : IPackageBuilder
{
    public string Name => "cmake";

    public string Description => "CMakeLists.txt in the source tree (cmake.sourceDir), built out of tree in the unit's work tree";

    public BuilderSection Section { get; } = new("cmake", """
        {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "sourceDir": { "type": "string", "description": "Folder of the CMakeLists.txt, relative to the source tree (default .)." },
            "cacheVariables": { "type": "object", "additionalProperties": { "type": "string" }, "description": "-D NAME=value for the configure step." },
            "targets": { "type": "array", "items": { "type": "string", "minLength": 1 }, "description": "cmake --build --target …; default: all." },
            "configureArgs": { "type": "array", "items": { "type": "string", "minLength": 1 }, "description": "Extra arguments for the configure step." }
          },
          "description": "how the CMake project is configured and built."
        }
        """,
        section => new CMakeOptions(
            section.Known("sourceDir", "cacheVariables", "targets", "configureArgs").RelativePath("sourceDir", "the source tree"),
            section.Map("cacheVariables"), section.Strings("targets"), section.Strings("configureArgs")),
        CMakeOptions.Default);

    public ToolRequirement Tool { get; } = new("cmake", "cmake", null, "3.20", new Dictionary<string, string>
    {
        ["linux"] = "apt-get install cmake",
        ["darwin"] = "brew install cmake",
        ["win32"] = "winget install Kitware.CMake",
    });

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var (binDir, buildDir, sourceRoot) = BuildTree(context, unit);
        return new BuildResult([binDir, Path.Combine(binDir, BuildType(unit))], buildDir, unit.Package.Sources.Count == 0 ? null : sourceRoot);
    }

    public TestResult Test(BuildContext context, BuildUnit unit)
    {
        var (_, buildDir, _) = BuildTree(context, unit);
        IReadOnlyList<string> output;
        try
        {
            output = context.CTest(new CTestSettings { TestDirectory = buildDir, Configuration = BuildType(unit) });
        }
        catch (Btm.Cake.Tooling.ToolFailedException e) when (e.Output.Any(l => l.Contains("No tests were found", StringComparison.Ordinal)))
        {
            // ctest exits 8 for a project that defines none (lz4's build/cmake): say that, not "failed".
            throw new BuildFailedException("the CMake project defines no tests (ctest: \"No tests were found\"). " +
                $"Fix: set \"test\": false in {Path.GetRelativePath(context.RepoRoot, unit.Package.ManifestPath).Replace('\\', '/')}, or define a test (enable_testing() and add_test(), or a cmake.cacheVariables switch that turns the project's tests on)");
        }
        return TestResult.Passed(output.LastOrDefault(l => l.Contains("tests passed", StringComparison.Ordinal))?.Trim() ?? "tests passed");
    }

    /// <summary>Configures and builds the unit's CMake tree; returns where executables land, the build folder and the source tree.</summary>
    private static (string BinDir, string BuildDir, string SourceRoot) BuildTree(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<CMakeOptions>();
        var generator = context.Environment.GetEnvironmentVariable("CMAKE_GENERATOR") is { Length: > 0 } ? null
            : context.ToolLookup.Find("ninja") is not null ? "Ninja" : null;
        var pathMap = PathMap.Flags(unit);
        // CMake refuses to reuse a tree made by another generator, so the generator is part of the stamp.
        var fresh = context.WorkTrees.Prepare(context, unit, $"generator: {generator ?? "(cmake default)"}\npath map: {pathMap ?? "(none)"}");
        // CMake builds out of tree, so a package without sources builds straight from its folder;
        // with sources, from the unit's source tree.
        var sourceRoot = unit.Package.Sources.Count == 0 ? unit.Package.Directory
            : fresh || !Directory.Exists(SourceTree.PathFor(unit)) ? SourceTree.Prepare(context, unit) : SourceTree.PathFor(unit);
        var sourceDir = options.SourceDir == "." ? sourceRoot : PathGuard.Resolve(sourceRoot, options.SourceDir);
        if (!File.Exists(Path.Combine(sourceDir, "CMakeLists.txt")))
            throw new BuildFailedException($"{unit.Package.ManifestPath}: cmake.sourceDir: no CMakeLists.txt in {sourceDir}. " +
                "Fix: point \"cmake\": { \"sourceDir\": … } at the folder that has it (relative to the source tree)");
        var buildDir = Path.Combine(unit.WorkDir, "build");
        var binDir = Path.Combine(unit.WorkDir, "bin");
        var settings = new CMakeConfigureSettings
        {
            SourcePath = sourceDir,
            BuildPath = buildDir,
            BuildType = BuildType(unit),
            ToolchainFile = unit.Toolchain.Cross ? ToolchainFile.Write(unit, context.ToolLookup) : null,
            Generator = generator,
            ExtraArguments = options.ConfigureArgs.ToList(),
        };
        foreach (var (name, value) in options.CacheVariables)
            settings.CacheVariables[name] = value;
        settings.CacheVariables["CMAKE_RUNTIME_OUTPUT_DIRECTORY"] = binDir.Replace('\\', '/');
        settings.CacheVariables["BTM_PLATFORM"] = unit.Platform.ToString();
        settings.CacheVariables["BTM_MODE"] = unit.Mode.Id;
        settings.CacheVariables["BTM_VERSION"] = context.VersionOf(unit.Package);
        // A package may read files of the packages it depends on (binflate reads bin-stub's format code).
        settings.CacheVariables["BTM_PACKAGES_DIR"] = Path.GetDirectoryName(unit.Package.Directory)!.Replace('\\', '/');
        if (pathMap is not null)
        {
            // _INIT: added to whatever CFLAGS/CXXFLAGS the user set, when the tree is first configured.
            settings.CacheVariables["CMAKE_C_FLAGS_INIT"] = pathMap;
            settings.CacheVariables["CMAKE_CXX_FLAGS_INIT"] = pathMap;
        }
        GitCeiling.Apply(unit, sourceDir, settings.EnvironmentVariables);
        var build = new CMakeBuildSettings { BuildPath = buildDir, Configuration = BuildType(unit), Targets = options.Targets.ToList() };
        GitCeiling.Apply(unit, sourceDir, build.EnvironmentVariables);
        context.CMakeConfigure(settings);
        context.CMakeBuild(build);
        return (binDir, buildDir, sourceRoot);
    }

    // dev keeps symbols and skips optimisation; prod optimises (symbols go in the Stripped stage).
    private static string BuildType(BuildUnit unit) => unit.Mode == BuildMode.Prod ? "Release" : "Debug";
}

/// <summary>btm.json "cmake": how an upstream CMake project is configured and built.</summary>
public sealed record CMakeOptions(
    string SourceDir,
    IReadOnlyDictionary<string, string> CacheVariables,
    IReadOnlyList<string> Targets,
    IReadOnlyList<string> ConfigureArgs)
{
    public static readonly CMakeOptions Default = new(".", new Dictionary<string, string>(), [], []);
}

using Btm.Cake.CMake;
using Btm.Core.Model;

namespace Btm.Build.Pipeline;

public sealed class CMakePackageBuilder : IPackageBuilder
{
    public string Name => "cmake";

    public string Description => "CMakeLists.txt in the package folder";

    public ToolRequirement Tool { get; } = new("cmake", "cmake", null, "3.20", new Dictionary<string, string>
    {
        ["linux"] = "apt-get install cmake",
        ["darwin"] = "brew install cmake",
        ["win32"] = "winget install Kitware.CMake",
    });

    public void Compile(BuildContext context, BuildUnit unit, string outDir)
    {
        var binDir = BuildTree(context, unit);
        BinaryCollector.Collect(unit, [binDir, Path.Combine(binDir, BuildType(unit))], outDir);
    }

    public string Test(BuildContext context, BuildUnit unit)
    {
        BuildTree(context, unit);
        var output = context.CTest(new CTestSettings { TestDirectory = unit.WorkDir, Configuration = BuildType(unit) });
        return output.LastOrDefault(l => l.Contains("tests passed", StringComparison.Ordinal))?.Trim() ?? "tests passed";
    }

    /// <summary>Configures and builds the unit's CMake tree; returns where executables land.</summary>
    private static string BuildTree(BuildContext context, BuildUnit unit)
    {
        var generator = context.Environment.GetEnvironmentVariable("CMAKE_GENERATOR") is { Length: > 0 } ? null
            : context.ToolLookup.Find("ninja") is not null ? "Ninja" : null;
        // CMake refuses to reuse a tree made by another generator, so the generator is part of the stamp.
        var pathMap = PathMap.Flags(unit);
        WorkTree.ResetIfToolchainChanged(unit, $"generator: {generator ?? "(cmake default)"}\npath map: {pathMap ?? "(none)"}");
        var binDir = Path.Combine(unit.WorkDir, "bin");
        var settings = new CMakeConfigureSettings
        {
            SourcePath = unit.Package.Directory,
            BuildPath = unit.WorkDir,
            BuildType = BuildType(unit),
            ToolchainFile = unit.Toolchain.Cross ? ToolchainFile.Write(unit, context.ToolLookup) : null,
            Generator = generator,
            CacheVariables =
            {
                ["CMAKE_RUNTIME_OUTPUT_DIRECTORY"] = binDir.Replace('\\', '/'),
                ["BTM_PLATFORM"] = unit.Platform.ToString(),
                ["BTM_MODE"] = unit.Mode.Id,
                ["BTM_VERSION"] = context.Settings.Version,
            },
        };
        if (pathMap is not null)
        {
            // _INIT: added to whatever CFLAGS/CXXFLAGS the user set, when the tree is first configured.
            settings.CacheVariables["CMAKE_C_FLAGS_INIT"] = pathMap;
            settings.CacheVariables["CMAKE_CXX_FLAGS_INIT"] = pathMap;
        }
        context.CMakeConfigure(settings);
        context.CMakeBuild(new CMakeBuildSettings { BuildPath = unit.WorkDir, Configuration = BuildType(unit) });
        return binDir;
    }

    // dev keeps symbols and skips optimisation; prod optimises (symbols go in the Stripped stage).
    private static string BuildType(BuildUnit unit) => unit.Mode == BuildMode.Prod ? "Release" : "Debug";
}

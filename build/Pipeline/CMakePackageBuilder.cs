using Btm.Cake.CMake;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

public sealed class CMakePackageBuilder : IPackageBuilder
{
    public string ToolCommand => "cmake";

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
        var generator = context.Environment.GetEnvironmentVariable("CMAKE_GENERATOR") is { Length: > 0 } ? null : DefaultGenerator();
        // CMake refuses to reuse a tree made by another generator, so the generator is part of the stamp.
        WorkTree.ResetIfToolchainChanged(context, unit, $"generator: {generator ?? "(cmake default)"}");
        var binDir = Path.Combine(unit.WorkDir, "bin");
        var settings = new CMakeConfigureSettings
        {
            SourcePath = unit.Package.Directory,
            BuildPath = unit.WorkDir,
            BuildType = BuildType(unit),
            ToolchainFile = unit.Toolchain.Cross ? ToolchainFile.Write(unit) : null,
            Generator = generator,
            CacheVariables =
            {
                ["CMAKE_RUNTIME_OUTPUT_DIRECTORY"] = binDir.Replace('\\', '/'),
                ["BTM_PLATFORM"] = unit.Platform.ToString(),
                ["BTM_MODE"] = unit.Mode,
                ["BTM_VERSION"] = context.Settings.Version,
            },
        };
        context.CMakeConfigure(settings);
        context.CMakeBuild(new CMakeBuildSettings { BuildPath = unit.WorkDir, Configuration = BuildType(unit) });
        return binDir;
    }

    // dev keeps symbols and skips optimisation; prod optimises (symbols go in the Stripped stage).
    private static string BuildType(BuildUnit unit) => unit.Mode == "prod" ? "Release" : "Debug";

    // Ninja builds faster and its no-op check is near free; fall back to CMake's default.
    private static string? DefaultGenerator() => ToolProbe.FindOnPath("ninja") is not null ? "Ninja" : null;
}

/// <summary>The builder's work tree is kept between runs for incremental builds, unless the toolchain changed.</summary>
public static class WorkTree
{
    public static void ResetIfToolchainChanged(BuildContext context, BuildUnit unit, string extra = "")
    {
        var stamp = Path.Combine(unit.WorkDir, ".btm-toolchain");
        var identity = context.ToolchainIdentity(unit) + "\n" + extra;
        if (File.Exists(stamp) && File.ReadAllText(stamp) == identity)
            return;
        if (Directory.Exists(unit.WorkDir))
            Directory.Delete(unit.WorkDir, recursive: true);
        Directory.CreateDirectory(unit.WorkDir);
        AtomicFile.WriteAllBytes(stamp, System.Text.Encoding.UTF8.GetBytes(identity));
    }
}

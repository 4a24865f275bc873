using Btm.Cake.Make;
using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>
/// Drives a package's makefile. The makefile must write everything under $(BTM_OUT_DIR) or
/// $(BTM_WORK_DIR), never into the package folder, or its own output would change its key.
/// </summary>
public sealed class MakePackageBuilder : IPackageBuilder
{
    public string Name => "make";

    public string Description => "Makefile.<platform>, Makefile.<os> or Makefile, writing only under $(BTM_OUT_DIR)/$(BTM_WORK_DIR)";

    public ToolRequirement Tool { get; } = new("make", "make", null, null, new Dictionary<string, string>
    {
        ["linux"] = "apt-get install make",
        ["darwin"] = "xcode-select --install",
        ["win32"] = "choco install make",
    });

    public void Compile(BuildContext context, BuildUnit unit, string outDir)
    {
        WorkTree.ResetIfToolchainChanged(unit);
        var binDir = Path.Combine(unit.WorkDir, "bin");
        Directory.CreateDirectory(binDir);
        context.Make(Settings(context, unit, binDir, []));
        BinaryCollector.Collect(unit, [binDir], outDir);
    }

    public string Test(BuildContext context, BuildUnit unit)
    {
        var binDir = Path.Combine(unit.WorkDir, "bin");
        Directory.CreateDirectory(binDir);
        context.Make(Settings(context, unit, binDir, ["test"]));
        return "make test passed";
    }

    private static MakeSettings Settings(BuildContext context, BuildUnit unit, string binDir, IList<string> targets)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["BTM_OUT_DIR"] = binDir,
            ["BTM_WORK_DIR"] = unit.WorkDir,
            ["BTM_MODE"] = unit.Mode.Id,
            ["BTM_PLATFORM"] = unit.Platform.ToString(),
            ["BTM_EXE_SUFFIX"] = unit.Platform.ExecutableSuffix,
            ["BTM_VERSION"] = context.Settings.Version,
        };
        if (unit.Toolchain.Cross || context.Environment.GetEnvironmentVariable("CC") is { Length: > 0 })
            variables["CC"] = unit.Toolchain.CCompiler;
        var settings = new MakeSettings
        {
            Directory = unit.Package.Directory,
            Platform = unit.Platform.ToString(),
            Variables = variables,
            Targets = targets,
        };
        // In the environment, not on the command line: a makefile's own CFLAGS still applies,
        // and one that adds to it (+= or ?=) gets the path map too.
        if (PathMap.Flags(unit) is { } pathMap)
        {
            foreach (var name in new[] { "CFLAGS", "CXXFLAGS" })
                settings.EnvironmentVariables[name] = PathMap.Append(context.Environment.GetEnvironmentVariable(name), pathMap);
        }
        return settings;
    }
}

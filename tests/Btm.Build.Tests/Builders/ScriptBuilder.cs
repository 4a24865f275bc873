using Btm.Build.Pipeline;
using Btm.Core;
using Btm.Core.Model;

namespace Btm.Build.Tests.Builders;

/// <summary>
/// A builder added the way the architecture page says: this one file plus one registration line.
/// It runs the package's build.sh with the output folder and the C compiler as arguments.
/// </summary>
public sealed class ScriptBuilder : IPackageBuilder
{
    public string Name => "script";

    public string Description => "build.sh in the package folder, called as build.sh <out-dir> <cc>";

    public ToolRequirement Tool { get; } = new("sh", "sh", null, null, new Dictionary<string, string> { ["linux"] = "apt-get install dash" });

    public void Compile(BuildContext context, BuildUnit unit, string outDir)
    {
        context.WorkTrees.Prepare(context, unit);
        var (exit, output) = ToolProbe.RunIn(unit.Package.Directory, "sh", "build.sh", unit.WorkDir, unit.Toolchain.CCompiler);
        if (exit != 0)
            throw new BuildFailedException($"build.sh exited {exit}: {output}");
        BinaryCollector.Collect(unit, [unit.WorkDir], outDir);
    }

    public string Test(BuildContext context, BuildUnit unit) => "no tests";
}

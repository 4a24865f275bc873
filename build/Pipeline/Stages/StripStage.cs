using Btm.Cake.Strip;
using Btm.Core.Checkpoints;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Build.Pipeline;

/// <summary>Copies the compiled binaries and strips their symbols with the target's strip.</summary>
public sealed class StripStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Stripped;

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        BinaryCollector.CopyBetweenStages(unit, unit.OutputDir(CheckpointStage.Compiled), outDir);
        context.Strip(new StripSettings
        {
            Files = unit.Package.Binaries.Select(b => (FilePath)Path.Combine(outDir, unit.BinaryFileName(b))).ToList(),
            Executable = unit.Toolchain.Strip,
            Flavor = unit.Toolchain.StripFlavor,
        });
        return null;
    }
}

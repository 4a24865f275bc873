using Btm.Core.Checkpoints;

namespace Btm.Build.Pipeline;

/// <summary>Puts what ships (StageTable.Shipped: compressed, stripped or compiled) in out/Final.</summary>
public sealed class FinalizeStage : IUnitStage
{
    public CheckpointStage Stage => CheckpointStage.Final;

    public string? Produce(BuildContext context, BuildUnit unit, string outDir)
    {
        BinaryCollector.CopyBetweenStages(unit, unit.OutputDir(unit.ShippedStage), outDir);
        return null;
    }
}

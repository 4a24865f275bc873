using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Finalize")]
[TaskDescription("Puts the binaries that ship in out/Final: compressed or stripped in prod, with symbols in dev")]
[IsDependentOn(typeof(CompressTask))]
public sealed class FinalizeTask : UnitTask
{
    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units)
        {
            var source = unit.Compresses ? CheckpointStage.Compressed
                : unit.Mode == "prod" ? CheckpointStage.Stripped
                : CheckpointStage.Compiled;
            StageRunner.Run(context, unit, CheckpointStage.Final, context.KeyFor(unit),
                outDir => StageFiles.CopyBinaries(unit, unit.OutputDir(source), outDir));
        }
    }
}

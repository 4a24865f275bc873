using Btm.Build.Host;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Finalize")]
[TaskDescription("Puts the binaries that ship in out/Final: compressed or stripped in prod, with symbols in dev")]
[IsDependentOn(typeof(CompressTask))]
public sealed class FinalizeTask : StageTask
{
    public override CheckpointStage Stage => CheckpointStage.Final;
}

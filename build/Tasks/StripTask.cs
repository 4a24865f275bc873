using Btm.Build.Host;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Strip")]
[TaskDescription("Copies the compiled binaries to out/Stripped and strips their symbols, or restores them")]
[IsDependentOn(typeof(CompileTask))]
public sealed class StripTask : StageTask
{
    public override CheckpointStage Stage => CheckpointStage.Stripped;
}

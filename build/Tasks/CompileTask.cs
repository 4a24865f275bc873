using Btm.Build.Host;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Compile")]
[TaskDescription("Builds each package with its builder into out/Compiled, or restores it")]
[IsDependentOn(typeof(CheckToolsTask))]
public sealed class CompileTask : StageTask
{
    public override CheckpointStage Stage => CheckpointStage.Compiled;
}

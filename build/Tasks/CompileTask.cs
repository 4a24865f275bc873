using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Compile")]
[TaskDescription("Builds each package with its builder (cmake or make) into out/Compiled, or restores it")]
[IsDependentOn(typeof(CheckToolsTask))]
public sealed class CompileTask : UnitTask
{
    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units)
        {
            StageRunner.Run(context, unit, CheckpointStage.Compiled, context.KeyFor(unit),
                outDir => context.BuilderFor(unit.Package).Compile(context, unit, outDir));
        }
    }
}

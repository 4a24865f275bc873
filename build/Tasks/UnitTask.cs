using Btm.Build.Host;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

/// <summary>A stage that runs once per build unit; it has nothing to do when CheckTools found none.</summary>
public abstract class UnitTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        context.Units.Count > 0
            ? RunDecision.Run
            : RunDecision.Skip("no package/platform to build (see the skipped entries in the summary)");
}

/// <summary>A task the user sees for one row of the stage table; the unit pipeline does the work.</summary>
public abstract class StageTask : UnitTask
{
    public abstract CheckpointStage Stage { get; }

    public override void Run(BuildContext context) => context.Pipeline.RunThrough(Stage);
}

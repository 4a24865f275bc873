using Btm.Build.Host;

namespace Btm.Build.Tasks;

/// <summary>A stage that runs once per build unit; it has nothing to do when CheckTools found none.</summary>
public abstract class UnitTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        context.Units.Count > 0
            ? RunDecision.Run
            : RunDecision.Skip("no package/platform to build (see the skipped entries in the summary)");
}

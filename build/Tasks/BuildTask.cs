using Btm.Build.Host;
using Btm.Cake.Logging;
using Btm.Core.Checkpoints;

namespace Btm.Build.Tasks;

[TaskName("Build")]
[TaskDescription("Builds every selected package for every selected platform (the default target)")]
[IsDependentOn(typeof(FinalizeTask))]
public sealed class BuildTask : UnitTask
{
    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units)
            context.Success($"{unit}: {Path.GetRelativePath(context.RepoRoot, unit.Layout.ShippedDir)}");
    }
}

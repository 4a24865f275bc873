using Btm.Build.Host;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Clean")]
[TaskDescription("Removes build output and checkpoints (of the --package packages only, when given)")]
public sealed class CleanTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        Targets(context).Any(Directory.Exists) ? RunDecision.Run : RunDecision.Skip("nothing to clean");

    public override void Run(BuildContext context)
    {
        foreach (var dir in Targets(context).Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
            context.Success($"removed {Path.GetRelativePath(context.RepoRoot, dir)}");
        }
    }

    // Only the named packages: cleaning is not a build, so dependencies are left alone.
    private static IEnumerable<string> Targets(BuildContext context)
    {
        var names = context.Options.Packages.Count > 0
            ? context.Graph.Select(context.Options.Packages).Select(p => p.Name).Where(context.Options.Packages.Contains)
            : context.Graph.TopologicalOrder.Select(p => p.Name);
        return names.Select(n => Path.Combine(context.Graph[n].Directory, "build"));
    }
}

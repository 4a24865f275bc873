using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Release;

namespace Btm.Build.Tasks;

[TaskName("Package")]
[TaskDescription("Packs a platform npm package per package and target (each as soon as it is built) plus a wrapper, the btm tool and template .nupkgs, with a signed SHA-256 manifest, into artifacts/<version>/")]
[IsDependentOn(typeof(BuildTask))]
public sealed class PackageTask : UnitTask, IPerUnitTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        Shipped(context).Any() ? RunDecision.Run : RunDecision.Skip("no selected package is published (\"publish\": false)");

    private static List<BuildUnit> Shipped(BuildContext context) => context.Units.Where(u => u.Package.Publish).ToList();

    public UnitStep? Step(BuildContext context)
    {
        if (!ShouldRun(context).ShouldRun)
            return null;
        var packing = context.Packing ??= ReleasePacking.Begin(context, Shipped(context));
        return new UnitStep("Package", packing.Ships, packing.PackUnit);
    }

    public override void Run(BuildContext context)
    {
        var step = context.Steps.Of<PackageTask>()!;
        using var packing = context.Packing!;
        context.Packing = null;
        context.Steps.Finish(step, (_, _) => { });
        packing.Complete();
    }
}

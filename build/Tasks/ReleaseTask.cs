using Btm.Build.Host;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Release")]
[TaskDescription("Build, Test, Package (with the btm tool and template packages), Verify and Publish: the whole release, all-or-nothing")]
[IsDependentOn(typeof(TestTask))]
[IsDependentOn(typeof(PackageTask))]
[IsDependentOn(typeof(VerifyTask))]
[IsDependentOn(typeof(PublishTask))]
public sealed class ReleaseTask : BtmTask
{
    public override void Run(BuildContext context) =>
        context.Success("the release is built, tested, packaged, verified and published: " +
            string.Join(", ", context.Units.Where(u => u.Package.Publish).Select(u => u.Package).Distinct()
                .Select(p => $"{p.Name} {context.VersionOf(p)} ({context.Units.Count(u => u.Package == p)} platform(s))")));
}

using Btm.Build.Host;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Release")]
[TaskDescription("Build, Test, Package, Verify and Publish: the whole release, all-or-nothing")]
[IsDependentOn(typeof(TestTask))]
[IsDependentOn(typeof(PackageTask))]
[IsDependentOn(typeof(VerifyTask))]
[IsDependentOn(typeof(PublishTask))]
public sealed class ReleaseTask : BtmTask
{
    public override void Run(BuildContext context) =>
        context.Success($"release {context.Settings.Version} is built, tested, packaged, verified and published");
}

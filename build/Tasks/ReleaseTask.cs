using Btm.Build.Host;
using Btm.Cake.Logging;

namespace Btm.Build.Tasks;

[TaskName("Release")]
[TaskDescription("Build, Test, Package (with the template package), Verify and Publish: the whole release, all-or-nothing")]
[IsDependentOn(typeof(TestTask))]
[IsDependentOn(typeof(PackageTask))]
[IsDependentOn(typeof(TemplatesTask))]
[IsDependentOn(typeof(VerifyTask))]
[IsDependentOn(typeof(PublishTask))]
public sealed class ReleaseTask : BtmTask
{
    public override void Run(BuildContext context) =>
        context.Success($"release {context.Settings.Version} is built, tested, packaged, verified and published");
}

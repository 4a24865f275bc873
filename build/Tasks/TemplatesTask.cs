using Btm.Core;
using Btm.Build.Host;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core.IO;
using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.MSBuild;
using Cake.Common.Tools.DotNet.Pack;

namespace Btm.Build.Tasks;

[TaskName("Templates")]
[TaskDescription("Packs the dotnet new templates (btm-package) into artifacts/<version>/Btm.Templates.<version>.nupkg")]
public sealed class TemplatesTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        var project = Path.Combine(context.RepoRoot, "templates", "Btm.Templates.csproj");
        if (!File.Exists(project))
            throw new BuildFailedException($"{project} is missing");
        var releaseDir = ReleasePaths.ReleaseDir(context);
        Directory.CreateDirectory(releaseDir);
        var temp = AtomicFile.TempPathFor(Path.Combine(releaseDir, "templates"));
        try
        {
            context.DotNetPack(project, new DotNetPackSettings
            {
                Configuration = "Release",
                OutputDirectory = temp,
                NoLogo = true,
                MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PackageVersion", context.Settings.Version),
            });
            foreach (var nupkg in Directory.GetFiles(temp, "*.nupkg"))
            {
                var target = Path.Combine(releaseDir, Path.GetFileName(nupkg));
                File.Move(nupkg, target, overwrite: true);
                context.Success($"packed {Path.GetRelativePath(context.RepoRoot, target)}");
            }
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }
}

using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Release;
using Cake.Common.Tools.DotNet;
using Cake.Common.Tools.DotNet.MSBuild;
using Cake.Common.Tools.DotNet.Pack;

namespace Btm.Build.Release;

/// <summary>
/// The .NET packages a release carries beside its npm packages, when the repo has their projects:
/// the dotnet new templates and the btm tool, which holds this run's bin-stub for every target it
/// built (so binpress works outside any repo). Packed into the release's temp folder, so they are in
/// the manifest and SHA256SUMS like every tarball.
/// </summary>
public static class DotNetPackages
{
    public const string TemplatesProject = "templates/Btm.Templates.csproj";
    public const string ToolProject = "tools/Btm.Cli/Btm.Cli.csproj";

    /// <summary>The templates package: it needs nothing built, so it packs while the units build.</summary>
    public static IReadOnlyList<ManifestNuget> PackTemplates(BuildContext context, string temp) =>
        File.Exists(Path.Combine(context.RepoRoot, TemplatesProject)) ? [PackOne(context, TemplatesProject, temp, null)] : [];

    /// <summary>The btm tool with every built bin-stub: only once the stubs are final.</summary>
    public static IReadOnlyList<ManifestNuget> PackTool(BuildContext context, string temp)
    {
        var packed = new List<ManifestNuget>();
        if (!File.Exists(Path.Combine(context.RepoRoot, ToolProject)))
            return packed;
        var stubs = context.Units.Where(u => u.Package.Name == PackageManifest.StubPackage).ToList();
        if (stubs.Count == 0)
        {
            context.Info($"the btm tool is not packed: it carries a {PackageManifest.StubPackage} per target, and {PackageManifest.StubPackage} is not among the selected packages");
            return packed;
        }
        var folder = Path.Combine(temp, ".stubs");
        try
        {
            // The PSP launcher rides along where it was built: btm psp pack finds it beside the stub.
            var launchers = context.Units.Where(u => u.Package.Name == PackageManifest.PspLauncherPackage).ToList();
            foreach (var unit in stubs.Concat(launchers))
            {
                var binary = Path.Combine(unit.OutputDir(CheckpointStage.Final), unit.BinaryFileName(unit.Package.Name));
                if (!File.Exists(binary))
                    throw new BuildFailedException($"{unit}: {binary} is missing after Build; run ./build.sh --target=Build --package={unit.Package.Name} again");
                var into = Path.Combine(folder, unit.Platform.ToString());
                Directory.CreateDirectory(into);
                File.Copy(binary, Path.Combine(into, Path.GetFileName(binary)));
            }
            packed.Add(PackOne(context, ToolProject, temp, folder));
            context.Info($"the btm tool carries {PackageManifest.StubPackage} ({context.Options.Mode.Id}) for {string.Join(", ", stubs.Select(u => u.Platform.ToString()).Order(StringComparer.Ordinal))}" +
                (launchers.Count > 0 ? $", {PackageManifest.PspLauncherPackage} for {string.Join(", ", launchers.Select(u => u.Platform.ToString()).Order(StringComparer.Ordinal))}" : ""));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        return packed;
    }

    private static ManifestNuget PackOne(BuildContext context, string project, string temp, string? stubs)
    {
        // Its own folder: the templates and the tool may pack at the same time.
        var output = Path.Combine(temp, ".nuget-" + Path.GetFileNameWithoutExtension(project));
        var msbuild = new DotNetMSBuildSettings().WithProperty("PackageVersion", context.Settings.Version);
        if (stubs is not null)
            msbuild = msbuild.WithProperty("BtmStubs", stubs);
        using (Progress.Start(context, $"packing {Path.GetFileNameWithoutExtension(project)}"))
        {
            context.DotNetPack(Path.Combine(context.RepoRoot, project), new DotNetPackSettings
            {
                Configuration = "Release",
                OutputDirectory = output,
                NoLogo = true,
                MSBuildSettings = msbuild,
            });
        }
        try
        {
            var file = Directory.GetFiles(output, "*.nupkg").Single();
            var name = Path.GetFileName(file);
            File.Move(file, Path.Combine(temp, name));
            var id = name[..^($".{context.Settings.Version}.nupkg".Length)];
            var info = new FileInfo(Path.Combine(temp, name));
            context.Info($"packed {id} {context.Settings.Version} -> {name}");
            return new ManifestNuget(id, context.Settings.Version, name, info.Length, Sha256.HexOfFile(info.FullName));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}

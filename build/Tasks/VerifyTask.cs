using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Tasks;

[TaskName("Verify")]
[TaskDescription("Checks artifacts/<version>/ against its manifest: every hash, the signature, where each tarball installs, and that the host binary runs")]
public sealed class VerifyTask : BtmTask
{
    // A closed port: optional dependencies that are not local tarballs fail at once instead of
    // reaching whatever registry the machine's npm is configured for.
    private const string NoRegistry = "http://127.0.0.1:9";

    public override void Run(BuildContext context)
    {
        var releaseDir = ReleasePaths.ReleaseDir(context);
        var requireSignature = context.Settings.TrustedKeys.Count > 0 && !context.Options.AllowUnsigned;
        var report = ReleaseVerifier.Verify(releaseDir, context.Settings.TrustedKeys, requireSignature);
        foreach (var note in report.Notes)
            context.Warn(note);
        Fail(context, report.Problems, "hash or signature");
        var manifest = report.Manifest!;
        context.Success($"hashes match: {manifest.Packages.Count} tarball(s), {manifest.Packages.Sum(p => p.Files.Count)} file(s), SHA256SUMS" +
            (manifest.Signed ? ", signature" : ""));

        if (ToolProbe.FindOnPath("npm") is null)
            throw new InvalidOperationException("npm is needed to check installs: install Node.js 18+");
        var scratch = Path.Combine(Path.GetTempPath(), "btm-verify-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Fail(context, CheckPlatformSelection(context, releaseDir, manifest, scratch), "install");
            context.Success($"each platform package installs only on its own os/cpu/libc ({PlatformId.All.Count} platforms tried)");
            Fail(context, RunHostBinaries(context, releaseDir, manifest, scratch), "run");
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }

    private static void Fail(BuildContext context, IReadOnlyList<string> problems, string kind)
    {
        if (problems.Count == 0)
            return;
        foreach (var p in problems)
            context.Fail(p);
        throw new InvalidOperationException($"Verify found {problems.Count} {kind} problem(s) in {Path.GetRelativePath(context.RepoRoot, ReleasePaths.ReleaseDir(context))}");
    }

    /// <summary>
    /// Installs every platform tarball as an optional dependency, as npm would on each known
    /// platform: exactly the matching one must be installed each time.
    /// </summary>
    private static List<string> CheckPlatformSelection(BuildContext context, string releaseDir, ReleaseManifest manifest, string scratch)
    {
        var problems = new List<string>();
        var platformPackages = manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind).ToList();
        if (platformPackages.Count == 0)
            return problems;
        // Each install is an npm process that mostly waits: running them side by side halves Verify.
        var perPlatform = new List<string>[PlatformId.All.Count];
        try
        {
            Parallel.For(0, PlatformId.All.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                var platform = PlatformId.All[i];
                var found = perPlatform[i] = [];
                var project = Path.Combine(scratch, "select-" + platform);
                Directory.CreateDirectory(project);
                var deps = string.Join(",\n    ", platformPackages.Select(p =>
                    $"\"{p.Name}\": \"file:{Path.Combine(releaseDir, p.Tarball).Replace("\\", "/")}\""));
                File.WriteAllText(Path.Combine(project, "package.json"),
                    $"{{\n  \"name\": \"btm-verify\",\n  \"version\": \"0.0.0\",\n  \"private\": true,\n  \"optionalDependencies\": {{\n    {deps}\n  }}\n}}\n");
                context.NpmInstall(new NpmInstallSettings
                {
                    Prefix = project, Registry = NoRegistry, FetchRetries = 0, Os = platform.Os, Cpu = platform.Cpu, Libc = platform.Libc ?? "glibc",
                });
                foreach (var package in platformPackages)
                {
                    var installed = File.Exists(Path.Combine(project, "node_modules", package.Name, "package.json"));
                    var should = package.Platform == platform.ToString();
                    if (installed != should)
                        found.Add($"{package.Tarball}: on {platform} npm {(installed ? "installed" : "skipped")} {package.Name} (built for {package.Platform}); expected it {(should ? "installed" : "skipped")}");
                }
            });
        }
        catch (AggregateException e)
        {
            // The first npm failure, with its command and output, not "one or more errors occurred".
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        foreach (var found in perPlatform)
            problems.AddRange(found);
        return problems;
    }

    /// <summary>Installs each wrapper with this host's platform tarball and runs every binary with --version.</summary>
    private static List<string> RunHostBinaries(BuildContext context, string releaseDir, ReleaseManifest manifest, string scratch)
    {
        var problems = new List<string>();
        var host = context.Host.ToString();
        foreach (var wrapper in manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind))
        {
            var hostPackage = manifest.Packages.FirstOrDefault(p => p.Component == wrapper.Component && p.Platform == host);
            if (hostPackage is null)
            {
                context.Warn($"{wrapper.Name}: no {host} package in this release, so its binary was not run here");
                continue;
            }
            var project = Path.Combine(scratch, "run-" + wrapper.Component);
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, "package.json"), "{\"name\": \"btm-verify-run\", \"version\": \"0.0.0\", \"private\": true}\n");
            context.NpmInstall(new NpmInstallSettings
            {
                Prefix = project, Registry = NoRegistry, FetchRetries = 0,
                Packages = [Path.Combine(releaseDir, wrapper.Tarball), Path.Combine(releaseDir, hostPackage.Tarball)],
            });
            var binaries = hostPackage.Files.Where(f => f.Role == "release").Select(f => Path.GetFileNameWithoutExtension(f.Path)).ToList();
            foreach (var binary in binaries)
            {
                var shim = Path.Combine(project, "node_modules", ".bin", OperatingSystem.IsWindows() ? binary + ".cmd" : binary);
                var (exit, output) = ToolProbe.Run(shim, "--version");
                if (exit != 0 || !output.Contains(manifest.Version, StringComparison.Ordinal))
                    problems.Add($"{hostPackage.Tarball}: `{binary} --version` through {wrapper.Name} exited {exit} printing '{output.Trim()}'; expected the release version {manifest.Version}");
                else
                    context.Success($"{binary} --version via {wrapper.Name}: {output.Trim()}");
            }
        }
        return problems;
    }
}

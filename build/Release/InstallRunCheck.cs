using System.Text.Json;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// The one install-and-run check: install wrappers as a user would (from local tarballs for
/// Verify, from the registry for Publish), then run each of this host's binaries through its
/// wrapper with its version probe (btm.json "verify": by default --version, expecting the
/// package's version in what it prints).
/// </summary>
public static class InstallRunCheck
{
    /// <summary>Where npm installs from: a registry (with the credentials file for it) and how often it retries a fetch.</summary>
    public sealed record Source(string Registry, string? UserConfig, int FetchRetries, string Description);

    /// <summary>A wrapper and the binaries of its platform package for this host.</summary>
    public sealed record Target(ManifestPackage Wrapper, ManifestPackage HostPackage, IReadOnlyList<string> Binaries, VerifyProbe Probe);

    /// <summary>Wrappers whose component has a package for this host; warns about the others.</summary>
    public static List<Target> Targets(BuildContext context, ReleaseManifest manifest, string what)
    {
        var host = context.Host.ToString();
        var targets = new List<Target>();
        foreach (var wrapper in manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind))
        {
            var hostPackage = manifest.Packages.FirstOrDefault(p => p.Component == wrapper.Component && p.Platform == host);
            if (hostPackage is null)
            {
                context.Warn($"{wrapper.Name}: this release has no {host} package, so {what} was not run here");
                continue;
            }
            // The package's declared binaries when its btm.json is here; else what the manifest ships in bin/.
            var declared = context.Graph.Contains(wrapper.Component) ? context.Graph[wrapper.Component] : null;
            var binaries = declared?.Binaries.ToList()
                ?? hostPackage.Files.Where(f => f.Role == "release").Select(f => Path.GetFileNameWithoutExtension(f.Path)).ToList();
            var probe = declared?.Verify ?? VerifyProbe.Default;
            if (!probe.Enabled)
            {
                context.Warn($"{wrapper.Name}: {what} not run: {probe.DisabledReason} (btm.json \"verify\")");
                continue;
            }
            targets.Add(new Target(wrapper, hostPackage, binaries, probe));
        }
        return targets;
    }

    /// <summary>Installs <paramref name="packages"/> (specs or tarball paths) into a fresh project, then runs every target's binaries.</summary>
    /// <returns>One line per binary that did not run or did not print the version.</returns>
    /// <param name="success">The line logged for a binary that runs, from the target, the binary and its output.</param>
    public static List<string> Run(BuildContext context, IReadOnlyList<Target> targets, IReadOnlyList<string> packages,
        Source source, Func<Target, string, string, string> success)
    {
        var problems = new List<string>();
        if (targets.Count == 0)
            return problems;
        var project = Path.Combine(Path.GetTempPath(), "btm-run-check-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(project);
        try
        {
            WritePackageJson(Path.Combine(project, "package.json"), "btm-run-check", null);
            context.NpmInstall(new NpmInstallSettings
            {
                Prefix = project, Packages = packages.ToList(), Registry = source.Registry, UserConfig = source.UserConfig, FetchRetries = source.FetchRetries,
            });
            foreach (var target in targets)
            {
                foreach (var binary in target.Binaries)
                {
                    var shim = Path.Combine(project, "node_modules", ".bin", OperatingSystem.IsWindows() ? binary + ".cmd" : binary);
                    var (exit, output) = ToolProbe.Run(shim, [.. target.Probe.Args]);
                    var expected = target.Probe.Expected(binary, target.Wrapper.Version);
                    var command = string.Join(" ", new[] { binary }.Concat(target.Probe.Args));
                    if (exit != 0 || !output.Contains(expected, StringComparison.Ordinal))
                        problems.Add($"{source.Description}: `{command}` through {target.Wrapper.Name} exited {exit} printing '{Clip(output.Trim())}'; " +
                            $"expected it to print '{expected}' (btm.json \"verify\" sets the probe)");
                    else
                        context.Success(success(target, binary, output.Trim()));
                }
            }
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
        return problems;
    }

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>A private package.json for a scratch project, optionally with optional dependencies (name to spec).</summary>
    public static void WritePackageJson(string path, string name, IReadOnlyDictionary<string, string>? optionalDependencies)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("version", "0.0.0");
            w.WriteBoolean("private", true);
            if (optionalDependencies is not null)
            {
                w.WriteStartObject("optionalDependencies");
                foreach (var (dep, spec) in optionalDependencies)
                    w.WriteString(dep, spec);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });
    }
}

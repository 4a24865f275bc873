using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Tasks;

[TaskName("CheckTools")]
[TaskDescription("Checks the toolchain and tools each selected package and platform needs, with install hints")]
public sealed class CheckToolsTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        // The release job and CI legs (CI=true, as GitHub Actions and most CI services set) set a fresh
        // Debian machine up by themselves; other runs on a developer's machine say what to install.
        var problems = Check(context);
        List<string> CheckAgain()
        {
            context.ToolLookup.Forget();
            context.Replan();
            context.Summary.Clear();
            return Check(context);
        }
        // The repo's own node tools (zig) come from package-lock.json: installing them touches nothing outside the clone.
        if (problems.Any(p => p.Contains("npm ci", StringComparison.Ordinal)) && NodeTools.Install(context))
            problems = CheckAgain();
        var installs = context.Options.InstallPrerequisites;
        // Everything the run will need, up front: the selected targets' toolchains with their libc
        // packages, and the emulators their tests and Verify run under.
        if (installs && DebianPackages.Missing(Needed(context).Concat(DebianPackages.Named(problems)), context.ToolLookup.Find) is { Count: > 0 } packages
            && DebianPackages.Install(context, packages))
            problems = CheckAgain();
        if (installs && context.Units.Any(u => u.Platform.Cpu == "arm64" && u.Platform.Os == "linux" && context.Host.Cpu != "arm64"))
            Binfmt.Ensure(context, "qemu-aarch64");
        // Licences are settings: a shipped component without one stops the run before anything builds.
        foreach (var unit in context.Units)
            _ = Licensing.Components(unit);
        if (problems.Count == 0)
            problems = Prove(context);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
                context.Fail(problem);
            var debian = DebianPackages.Named(problems);
            throw new BuildFailedException(
                $"{problems.Count} missing tool(s): install them{(debian.Count > 0 ? $" (on Debian/Ubuntu: sudo apt-get install {string.Join(' ', debian)}; --target=Release and CI runs install them themselves)" : "")}, " +
                "or pass --skip-unavailable to list those targets as skipped");
        }
    }

    /// <summary>Keeps the planned units whose tools are all here, their identities probed; returns what is missing.</summary>
    private static List<string> Check(BuildContext context)
    {
        var checkedTools = new Dictionary<ToolRequirement, (string? Problem, string Found)>();
        var identities = new Dictionary<(string Platform, string Builder, string Compiler), ToolchainIdentity>();
        var found = new List<string>();
        var units = new List<BuildUnit>();
        var problems = new List<string>();
        var os = context.Host.Os;
        var find = context.FindTool;

        foreach (var left in context.Plan.Left)
            Skip(context, left.Package, left.Platform.ToString(), left.Reason);
        foreach (var unit in context.Plan.Units)
        {
            var (package, platform, builder, toolchain) = (unit.Package, unit.Platform, unit.Builder, unit.Toolchain);
            var dropped = unit.Dependencies.Where(d => !units.Contains(d)).Select(d => d.Package.Name).ToList();
            if (dropped.Count > 0)
            {
                var why = $"its dependencies {string.Join(", ", dropped)} are not built for {platform}";
                if (context.Options.SkipUnavailable)
                    Skip(context, package.Name, platform.ToString(), why);
                else
                    problems.Add($"{package.Name} {platform}: {why}");
                continue;
            }
            var missing = new List<string>();
            if (toolchain.Impossible && builder.NeedsCompiler)
            {
                missing.Add(toolchain.UnavailableReason!);
            }
            else
            {
                if (builder.NeedsCompiler && find(toolchain.CCompiler) is null)
                    missing.Add($"C compiler '{toolchain.CCompiler}' for {platform} ({toolchain.Id}) not found; install it: {toolchain.InstallHint}");
                foreach (var tool in package.Tools.Prepend(builder.Tool))
                {
                    if (!checkedTools.TryGetValue(tool, out var result))
                    {
                        result = ToolCheck.Check(tool, os, context.Versions, find);
                        checkedTools[tool] = result;
                        if (result.Problem is null)
                        {
                            context.Detail($"found {result.Found}");
                            var name = result.Found.Split(' ')[0];
                            if (!found.Contains(name))
                                found.Add(name);
                        }
                    }
                    if (result.Problem is not null)
                        missing.Add(result.Problem);
                }
            }
            if (missing.Count == 0)
            {
                if (!identities.TryGetValue((platform.ToString(), builder.Name, toolchain.CCompiler), out var identity))
                {
                    identity = ToolchainIdentity.Probe(toolchain, builder.Tool, find, context.Versions.Output);
                    identities[(platform.ToString(), builder.Name, toolchain.CCompiler)] = identity;
                }
                unit.Proved(identity);
                units.Add(unit);
                continue;
            }
            if (context.Options.SkipUnavailable)
                Skip(context, package.Name, platform.ToString(), string.Join("; ", missing));
            else
                problems.AddRange(missing.Select(m => $"{package.Name} {platform}: {m}"));
        }

        if (problems.Count > 0)
            return problems;
        context.Units = units;
        if (units.Count == 0)
            context.Warn("no package/platform to build: every selected target was skipped");
        else
            context.Success($"tools ready for {units.Count} unit(s): {string.Join(", ", found)}");
        return problems;
    }

    /// <summary>The Debian packages the selected packages and platforms need (debian-packages.txt).</summary>
    private static IEnumerable<string> Needed(BuildContext context)
    {
        var needed = new List<string>(DebianPackages.Base);
        foreach (var unit in context.Plan.Units)
        {
            needed.AddRange(DebianPackages.ForBuilder(unit.Builder.Name));
            needed.AddRange(DebianPackages.ForPackage(unit.Package.Name));
            if (unit.Builder.NeedsCompiler && !unit.Toolchain.Impossible)
                needed.AddRange(DebianPackages.ForToolchain(unit.Toolchain.Id, unit.Platform.ToString()));
            if (!HostPlatform.CanRun(context.Host, unit.Platform))
                needed.AddRange(DebianPackages.ForRunning(unit.Platform.ToString()));
        }
        if (context.Options.InstallPrerequisites)
        {
            needed.AddRange(Btm.Build.Release.Installers.Installers.DebianNeeds(context.Plan.Units.Select(u => (u.Package, u.Platform))));
            // A Release signs win32 programs (with the local certificate at least) and Verify checks them.
            if (context.Plan.Units.Any(u => u.Package.Publish && u.Platform.Os == "win32"))
                needed.AddRange(DebianPackages.ForAuthenticode);
            if (context.SelectedPackages.Any(p => p.Budgets is { } b && (b.General.MaxRssMiB is not null || b.Targets.Values.Any(t => t.MaxRssMiB is not null))))
                needed.AddRange(DebianPackages.ForBudget("maxRssMiB"));
        }
        return needed.Distinct();
    }

    /// <summary>Each unit's toolchain compiles, links and (where it can) runs a tiny program; what fails.</summary>
    private static List<string> Prove(BuildContext context)
    {
        var proof = new ToolchainProof(Path.Combine(context.RepoRoot, ".btm", "cache", "toolchain-proofs"), context.Host);
        var distinct = context.Units.Where(u => u.Builder.NeedsCompiler)
            .GroupBy(u => (u.Platform.ToString(), u.Toolchain.CCompiler)).Select(g => g.First()).ToList();
        var results = new string?[distinct.Count];
        Parallel.For(0, distinct.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.Options.Jobs) },
            i => results[i] = proof.Prove(distinct[i].Toolchain, distinct[i].Identity));
        var problems = results.Where(r => r is not null).Select(r => r!).ToList();
        if (problems.Count == 0 && distinct.Count > 0)
            context.Success($"toolchains proved (compiled, linked{(distinct.Any(u => u.Toolchain.Runnable(context.Host)) ? ", ran" : "")}): " +
                string.Join(", ", distinct.Select(u => $"{u.Platform} ({u.Toolchain.Id})")));
        return problems;
    }

    private static void Skip(BuildContext context, string package, string platform, string reason)
    {
        context.Warn($"{package} {platform}: skipped: {reason}");
        context.Summary.Add(new SummaryEntry(package, platform, context.Options.Mode.Id, "all", StageOutcome.Skipped, reason, TimeSpan.Zero));
    }
}

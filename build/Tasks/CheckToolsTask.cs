using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core.Model;

namespace Btm.Build.Tasks;

[TaskName("CheckTools")]
[TaskDescription("Checks the toolchain and tools each selected package and platform needs, with install hints")]
public sealed class CheckToolsTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        var checkedTools = new Dictionary<ToolRequirement, (string? Problem, string Found)>();
        var found = new List<string>();
        var units = new List<BuildUnit>();
        var problems = new List<string>();
        var os = context.Host.Os;

        foreach (var package in context.SelectedPackages)
        {
            foreach (var platform in context.RequestedPlatforms(package))
            {
                if (package.Targets is not null && !package.Targets.Contains(platform))
                {
                    Skip(context, package.Name, platform.ToString(), $"{platform} is not in its btm.json targets");
                    continue;
                }
                var missingDeps = package.AllDependencies
                    .Where(dep => !units.Any(u => u.Package.Name == dep && u.Platform == platform))
                    .ToList();
                if (missingDeps.Count > 0)
                {
                    var why = $"its dependencies {string.Join(", ", missingDeps)} are not built for {platform}";
                    if (context.Options.SkipUnavailable || missingDeps.All(d => !(context.Graph[d].Targets?.Contains(platform) ?? true)))
                        Skip(context, package.Name, platform.ToString(), why);
                    else
                        problems.Add($"{package.Name} {platform}: {why}");
                    continue;
                }

                var toolchain = context.Toolchains.Resolve(platform);
                var missing = new List<string>();
                if (toolchain.Impossible)
                {
                    missing.Add(toolchain.UnavailableReason!);
                }
                else
                {
                    if (ToolProbe.FindOnPath(toolchain.CCompiler) is null)
                        missing.Add($"C compiler '{toolchain.CCompiler}' for {platform} not found; install it: {toolchain.InstallHint}");
                    var builderTool = package.Builder == BuilderKind.CMake ? ToolCheck.CMake : ToolCheck.Make;
                    foreach (var tool in package.Tools.Prepend(builderTool))
                    {
                        if (!checkedTools.TryGetValue(tool, out var result))
                        {
                            result = ToolCheck.Check(tool, os, context.Versions);
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
                    units.Add(new BuildUnit(package, platform, context.Options.ModeId, toolchain));
                    continue;
                }
                if (context.Options.SkipUnavailable)
                    Skip(context, package.Name, platform.ToString(), string.Join("; ", missing));
                else
                    problems.AddRange(missing.Select(m => $"{package.Name} {platform}: {m}"));
            }
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
                context.Fail(problem);
            throw new InvalidOperationException(
                $"{problems.Count} missing tool(s): install them, or pass --skip-unavailable to list those targets as skipped");
        }
        context.Units = units;
        if (units.Count == 0)
            context.Warn("no package/platform to build: every selected target was skipped");
        else
            context.Success($"tools ready for {units.Count} unit(s): {string.Join(", ", found)}");
    }

    private static void Skip(BuildContext context, string package, string platform, string reason)
    {
        context.Warn($"{package} {platform}: skipped: {reason}");
        context.Summary.Add(new SummaryEntry(package, platform, context.Options.ModeId, "all", StageOutcome.Skipped, reason, TimeSpan.Zero));
    }
}

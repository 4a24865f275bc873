using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// The run's units, made once the model has loaded and before any task runs: one per selected
/// package and requested platform its btm.json targets, with its builder, its toolchain and its
/// dependencies' units; and what was left out, with the reason. CheckTools then proves each unit's
/// tools and keeps the units it can build (<see cref="BuildContext.Units"/>); no task makes units.
/// </summary>
public sealed record Plan(IReadOnlyList<BuildUnit> Units, IReadOnlyList<Plan.LeftOut> Left)
{
    public sealed record LeftOut(string Package, PlatformId Platform, string Reason);

    public static Plan Make(BuildContext context)
    {
        var units = new List<BuildUnit>();
        var left = new List<LeftOut>();
        foreach (var package in context.SelectedPackages)
        {
            var builder = context.Builders.For(package);
            foreach (var platform in context.RequestedPlatforms(package))
            {
                if (package.Targets is not null && !package.Targets.Contains(platform))
                {
                    left.Add(new LeftOut(package.Name, platform, $"{platform} is not in its btm.json targets"));
                    continue;
                }
                var dependencies = package.AllDependencies.Select(d => units.FirstOrDefault(u => u.Package.Name == d && u.Platform == platform)).ToList();
                if (dependencies.Contains(null))
                {
                    var missing = package.AllDependencies.Where((_, i) => dependencies[i] is null);
                    left.Add(new LeftOut(package.Name, platform, $"its dependencies {string.Join(", ", missing)} are not built for {platform}"));
                    continue;
                }
                var toolchain = context.Toolchains.Resolve(platform, context.GlibcFloor(package, builder));
                units.Add(new BuildUnit(package, platform, context.Options.Mode, toolchain, builder, dependencies!));
            }
        }
        return new Plan(units, left);
    }
}

using System.Diagnostics;
using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core.Platforms;

namespace Btm.Build.Tasks;

[TaskName("Test")]
[TaskDescription("Runs each package's own tests (CTest, or make test) for platforms this host can run")]
[IsDependentOn(typeof(BuildTask))]
public sealed class TestTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context)
    {
        if (context.Units.Count == 0)
            return RunDecision.Skip("nothing was built");
        if (!context.Units.Any(u => u.Package.Test))
            return RunDecision.Skip("every selected package sets \"test\": false");
        return RunDecision.Run;
    }

    public override void Run(BuildContext context)
    {
        foreach (var unit in context.Units.Where(u => u.Package.Test))
        {
            var name = unit.Package.Name;
            var platform = unit.Platform.ToString();
            if (!HostPlatform.CanRun(context.Host, unit.Platform) && unit.Toolchain.Emulator is null)
            {
                var reason = $"{platform} binaries do not run on this {context.Host} host and no emulator is installed";
                context.Warn($"{unit}: tests skipped: {reason}");
                context.Summary.Add(new SummaryEntry(name, platform, unit.Mode, "test", StageOutcome.Skipped, reason, TimeSpan.Zero));
                continue;
            }
            var watch = Stopwatch.StartNew();
            try
            {
                var result = context.BuilderFor(unit.Package).Test(context, unit);
                context.Summary.Add(new SummaryEntry(name, platform, unit.Mode, "test", StageOutcome.Passed, result, watch.Elapsed));
                context.Success($"{unit}: {result}");
            }
            catch (Exception e)
            {
                context.Summary.Add(new SummaryEntry(name, platform, unit.Mode, "test", StageOutcome.Failed, e.Message.Split('\n')[0], watch.Elapsed));
                throw;
            }
        }
    }
}

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
        var runnable = new List<BuildUnit>();
        foreach (var unit in context.Units.Where(u => u.Package.Test))
        {
            if (unit.Toolchain.Runnable(context.Host))
            {
                runnable.Add(unit);
                continue;
            }
            var reason = unit.Platform.Os == "darwin" && context.Host.Os != "darwin"
                ? $"{unit.Platform} binaries run only on macOS: Verify checks them structurally; run the tests on a macOS runner"
                : $"{unit.Platform} binaries do not run on this {context.Host} host and no emulator is installed ({unit.Toolchain.InstallHint})";
            context.Warn($"{unit}: tests skipped: {reason}");
            Record(context, unit, StageOutcome.Skipped, reason, TimeSpan.Zero);
        }
        context.Scheduler.Run(runnable, unit =>
        {
            using var unitLock = UnitLock.Acquire(context, unit);
            var watch = Stopwatch.StartNew();
            try
            {
                var result = unit.Builder.Test(context, unit);
                Record(context, unit, StageOutcome.Passed, result, watch.Elapsed);
                context.Success($"{unit}: {result}");
            }
            catch (Btm.Cake.Tooling.ToolFailedException e)
            {
                Record(context, unit, StageOutcome.Failed, e.Message.Split('\n')[0], watch.Elapsed);
                throw FullLog.Keep(unit, "test", e);
            }
            catch (Exception e)
            {
                Record(context, unit, StageOutcome.Failed, e.Message.Split('\n')[0], watch.Elapsed);
                throw;
            }
        }, (unit, why) => Record(context, unit, StageOutcome.Skipped, why, TimeSpan.Zero));
    }

    private static void Record(BuildContext context, BuildUnit unit, StageOutcome outcome, string detail, TimeSpan elapsed) =>
        context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode.Id, "test", outcome, detail, elapsed));
}

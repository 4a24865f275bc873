using System.Diagnostics;
using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core.Platforms;

namespace Btm.Build.Tasks;

[TaskName("Test")]
[TaskDescription("Runs each package's own tests (CTest, make test, go test) for platforms this host can run, each unit as soon as it is built")]
[IsDependentOn(typeof(BuildTask))]
public sealed class TestTask : BtmTask, IPerUnitTask
{
    public override RunDecision ShouldRun(BuildContext context)
    {
        if (context.Units.Count == 0)
            return RunDecision.Skip("nothing was built");
        if (!context.Units.Any(u => u.Package.Test))
            return RunDecision.Skip("every selected package sets \"test\": false");
        return RunDecision.Run;
    }

    public UnitStep? Step(BuildContext context) =>
        ShouldRun(context).ShouldRun ? new UnitStep("Test", u => u.Package.Test, unit => TestUnit(context, unit)) : null;

    public override void Run(BuildContext context) =>
        context.Steps.Finish(context.Steps.Of<TestTask>()!, (unit, why) => Record(context, unit, StageOutcome.Skipped, why, TimeSpan.Zero));

    private static void TestUnit(BuildContext context, BuildUnit unit)
    {
        if (!unit.Toolchain.Runnable(context.Host))
        {
            var reason = unit.Platform.Os == "darwin" && context.Host.Os != "darwin"
                ? $"{unit.Platform} binaries run only on macOS: Verify checks them structurally; run the tests on a macOS runner"
                : $"{unit.Platform} binaries do not run on this {context.Host} host and no emulator is installed ({unit.Toolchain.InstallHint})";
            context.Warn($"{unit}: tests skipped: {reason}");
            Record(context, unit, StageOutcome.Skipped, reason, TimeSpan.Zero);
            return;
        }
        var watch = Stopwatch.StartNew();
        try
        {
            var result = unit.Builder.Test(context, unit);
            if (!result.Ran)
            {
                context.Warn($"{unit}: tests not run: {result.Detail}");
                Record(context, unit, StageOutcome.Skipped, "not run: " + result.Detail, watch.Elapsed);
                return;
            }
            Record(context, unit, StageOutcome.Passed, result.Detail, watch.Elapsed);
            context.Success($"{unit}: {result.Detail}");
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
    }

    private static void Record(BuildContext context, BuildUnit unit, StageOutcome outcome, string detail, TimeSpan elapsed) =>
        context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode.Id, "test", outcome, detail, elapsed));
}

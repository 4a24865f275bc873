using System.Collections.Concurrent;
using Btm.Core.Checkpoints;
using Btm.Core.Pipeline;

namespace Btm.Build.Pipeline;

/// <summary>
/// Each unit runs its rows of the stage table in order, through the stage a task asks for; the
/// scheduler runs independent units side by side. A stage already run in this run is not run
/// again, so the stage tasks (Compile, Strip, Compress, Finalize) each extend the same pipeline.
/// The first stage task runs each unit through the last stage the run asks for, then the unit's
/// steps of the later tasks (<see cref="UnitSteps"/>): a unit tests and packs as soon as its
/// binaries are final, beside units still compiling.
/// </summary>
public sealed class UnitPipeline(BuildContext context, StageExecutor executor)
{
    private readonly ConcurrentDictionary<BuildUnit, int> _doneThrough = new();

    public void RunThrough(CheckpointStage asked)
    {
        var last = context.Steps.FurthestStage(asked);
        var after = last == CheckpointStage.Final ? context.Steps.AfterBuild() : [];
        context.Scheduler.Run(context.Units, unit => RunUnit(unit, last, after), (unit, why) => context.Summary.Add(
            new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode.Id, last.Id, StageOutcome.Skipped, why, TimeSpan.Zero)));
    }

    private void RunUnit(BuildUnit unit, CheckpointStage last, IReadOnlyList<UnitStep> after)
    {
        using var unitLock = UnitLock.Acquire(context, unit);
        var done = _doneThrough.GetValueOrDefault(unit, -1);
        foreach (var stage in StageTable.Through(last, unit.Package, unit.Mode))
        {
            if (StageTable.IndexOf(stage) <= done)
                continue;
            executor.Run(unit, stage, outDir => UnitStages.For(stage).Produce(context, unit, outDir));
        }
        _doneThrough[unit] = Math.Max(done, StageTable.IndexOf(last));
        foreach (var step in after)
            context.Steps.Do(step, unit);
    }
}

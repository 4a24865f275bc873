using System.Collections.Concurrent;
using Btm.Core.Checkpoints;
using Btm.Core.Pipeline;

namespace Btm.Build.Pipeline;

/// <summary>
/// Each unit runs its rows of the stage table in order, through the stage a task asks for; the
/// scheduler runs independent units side by side. A stage already run in this run is not run
/// again, so the stage tasks (Compile, Strip, Compress, Finalize) each extend the same pipeline.
/// </summary>
public sealed class UnitPipeline(BuildContext context, StageExecutor executor)
{
    private readonly ConcurrentDictionary<BuildUnit, int> _doneThrough = new();

    public void RunThrough(CheckpointStage last) =>
        context.Scheduler.Run(context.Units, unit => RunUnit(unit, last), (unit, why) => context.Summary.Add(
            new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode.Id, last.Id, StageOutcome.Skipped, why, TimeSpan.Zero)));

    private void RunUnit(BuildUnit unit, CheckpointStage last)
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
    }
}

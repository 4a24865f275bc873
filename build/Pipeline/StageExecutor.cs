using System.Diagnostics;
using Btm.Cake.Logging;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Cake.Core;

namespace Btm.Build.Pipeline;

/// <summary>
/// Runs one checkpointed stage of one unit: restore it when the store has a checkpoint with this
/// key that checks out, otherwise produce it into a temp folder, move that into place, and save it.
/// </summary>
public sealed class StageExecutor(ICakeContext log, ICheckpointStore store, UnitKeys keys, BuildSummary summary, bool force)
{
    public void Run(BuildUnit unit, CheckpointStage stage, Func<string, string?> produce)
    {
        var watch = Stopwatch.StartNew();
        var key = keys.For(unit);
        var address = unit.Address;
        var outDir = unit.OutputDir(stage);
        var label = $"{unit} {stage.Id}";
        void Record(StageOutcome outcome, string detail) =>
            summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode.Id, stage.Id, outcome, detail, watch.Elapsed));

        string reason;
        if (force)
        {
            reason = "--force";
        }
        else
        {
            var probe = store.Probe(address, stage, key);
            reason = probe.Reason;
            if (probe.State == CheckpointState.Usable && store.OutputIsCurrent(address, stage, probe, outDir))
            {
                Record(StageOutcome.Restored, $"local, key {key.Key[..12]}, output already current");
                return;
            }
            if (probe.State == CheckpointState.Usable)
            {
                try
                {
                    store.Restore(address, stage, probe, outDir);
                    Record(StageOutcome.Restored, $"{(probe.FromRemote ? "remote" : "local")}, key {key.Key[..12]}");
                    log.Detail($"{label}: restored from {(probe.FromRemote ? "the remote cache" : store.Describe(address, stage))}");
                    return;
                }
                catch (CorruptCheckpointException e)
                {
                    reason = "corrupt checkpoint rebuilt";
                    log.Warn($"{label}: checkpoint is corrupt, rebuilding: {e.Message}");
                    store.Remove(address, stage);
                }
            }
            else if (probe.State == CheckpointState.Corrupt)
            {
                log.Warn($"{label}: checkpoint is corrupt, rebuilding: {probe.Reason}");
                reason = "corrupt checkpoint rebuilt";
                store.Remove(address, stage);
            }
        }

        log.Info($"{label}: building ({reason})");
        var parent = Path.GetDirectoryName(outDir)!;
        Directory.CreateDirectory(parent);
        AtomicFile.RemoveLeftovers(parent);
        var temp = AtomicFile.TempPathFor(outDir);
        string? note;
        try
        {
            Directory.CreateDirectory(temp);
            using (Progress.Start(log, $"{label}: building"))
                note = produce(temp);
            if (Directory.Exists(outDir))
                Directory.Delete(outDir, recursive: true);
            Directory.Move(temp, outDir);
        }
        catch (Btm.Cake.Tooling.ToolFailedException e)
        {
            Record(StageOutcome.Failed, e.Message.Split('\n')[0]);
            throw FullLog.Keep(unit, stage.Id, e);
        }
        catch (Exception e)
        {
            Record(StageOutcome.Failed, e.Message.Split('\n')[0]);
            throw;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
        store.Save(address, stage, key, outDir);
        Record(StageOutcome.Built, note is null ? reason : $"{reason}; {note}");
        log.Success($"{label}: built in {watch.Elapsed.TotalSeconds:0.00}s");
    }
}

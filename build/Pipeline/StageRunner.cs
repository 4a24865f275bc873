using System.Diagnostics;
using Btm.Cake.Logging;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Build.Pipeline;

/// <summary>
/// Runs one checkpointed stage of one unit: restore it when a checkpoint with this key checks
/// out, otherwise produce it into a temp folder, move that into place, and checkpoint it.
/// </summary>
public static class StageRunner
{
    public static void Run(BuildContext context, BuildUnit unit, CheckpointStage stage, KeyComponents key, Action<string> produce)
    {
        var watch = Stopwatch.StartNew();
        var store = unit.Checkpoints;
        var outDir = unit.OutputDir(stage);
        var label = $"{unit} {stage.Id}";
        string reason;
        if (context.Options.Force)
        {
            reason = "--force";
        }
        else
        {
            var probe = store.Probe(stage, unit.Package.Name, unit.Platform.ToString(), unit.Mode, key);
            reason = probe.Reason;
            if (probe.State == CheckpointState.Usable && store.OutputIsCurrent(stage, probe.Metadata!, outDir))
            {
                context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode, stage.Id,
                    StageOutcome.Restored, $"key {key.Key[..12]}, output already current", watch.Elapsed));
                return;
            }
            if (probe.State == CheckpointState.Usable)
            {
                try
                {
                    store.Restore(probe.Metadata!, outDir);
                    context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode, stage.Id,
                        StageOutcome.Restored, $"key {key.Key[..12]}", watch.Elapsed));
                    context.Detail($"{label}: restored from {store.ArchivePath(stage)}");
                    return;
                }
                catch (CorruptCheckpointException e)
                {
                    reason = "corrupt checkpoint rebuilt";
                    context.Warn($"{label}: checkpoint is corrupt, rebuilding: {e.Message}");
                    store.Remove(stage);
                }
            }
            else if (probe.State == CheckpointState.Corrupt)
            {
                context.Warn($"{label}: checkpoint is corrupt, rebuilding: {probe.Reason}");
                reason = "corrupt checkpoint rebuilt";
                store.Remove(stage);
            }
        }

        context.Info($"{label}: building ({reason})");
        var parent = Path.GetDirectoryName(outDir)!;
        Directory.CreateDirectory(parent);
        AtomicFile.RemoveLeftovers(parent);
        var temp = AtomicFile.TempPathFor(outDir);
        try
        {
            Directory.CreateDirectory(temp);
            produce(temp);
            if (Directory.Exists(outDir))
                Directory.Delete(outDir, recursive: true);
            Directory.Move(temp, outDir);
        }
        catch (Exception e)
        {
            context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode, stage.Id,
                StageOutcome.Failed, FirstLine(e.Message), watch.Elapsed));
            throw;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
        store.Save(stage, unit.Package.Name, unit.Platform.ToString(), unit.Mode, key, outDir, DateTimeOffset.UtcNow);
        context.Summary.Add(new SummaryEntry(unit.Package.Name, unit.Platform.ToString(), unit.Mode, stage.Id,
            StageOutcome.Built, reason, watch.Elapsed));
        context.Success($"{label}: built in {watch.Elapsed.TotalSeconds:0.00}s");
    }

    private static string FirstLine(string text) => text.Split('\n')[0];
}

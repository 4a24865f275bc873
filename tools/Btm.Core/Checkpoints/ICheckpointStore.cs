using Btm.Core.Keys;

namespace Btm.Core.Checkpoints;

/// <summary>Names one unit's checkpoints: package × platform × mode, and its local folder.</summary>
public sealed record CheckpointAddress(string Package, string Platform, string Mode, string LocalDirectory)
{
    public override string ToString() => $"{Package} {Platform} {Mode}";
}

/// <summary>
/// Where stage checkpoints are found and kept. The local store is the folder beside the output;
/// a remote tier can be stacked behind it (it answers Probe misses and receives Saves).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>A short name for logs ("local", "remote https://…").</summary>
    string Name { get; }

    CheckpointProbe Probe(CheckpointAddress unit, CheckpointStage stage, KeyComponents key);

    /// <summary>True when <paramref name="outputDir"/> is untouched since this checkpoint was restored or saved.</summary>
    bool OutputIsCurrent(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir);

    /// <summary>Replaces <paramref name="outputDir"/> with the checkpoint; throws <see cref="CorruptCheckpointException"/>.</summary>
    void Restore(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir);

    void Save(CheckpointAddress unit, CheckpointStage stage, KeyComponents key, string outputDir);

    void Remove(CheckpointAddress unit, CheckpointStage stage);

    /// <summary>Where a human finds the checkpoint, for logs.</summary>
    string Describe(CheckpointAddress unit, CheckpointStage stage);
}

/// <summary>The checkpoints folder of each unit (docs/checkpoints.md), through <see cref="CheckpointStore"/>.</summary>
public sealed class LocalCheckpointStore : ICheckpointStore
{
    public string Name => "local";

    private static CheckpointStore At(CheckpointAddress unit) => new(unit.LocalDirectory);

    public CheckpointProbe Probe(CheckpointAddress unit, CheckpointStage stage, KeyComponents key) =>
        At(unit).Probe(stage, unit.Package, unit.Platform, unit.Mode, key);

    public bool OutputIsCurrent(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir) =>
        probe.Metadata is { } meta && At(unit).OutputIsCurrent(stage, meta, outputDir);

    public void Restore(CheckpointAddress unit, CheckpointStage stage, CheckpointProbe probe, string outputDir) =>
        At(unit).Restore(probe.Metadata ?? throw new ArgumentException("a usable probe carries its metadata", nameof(probe)), outputDir);

    public void Save(CheckpointAddress unit, CheckpointStage stage, KeyComponents key, string outputDir) =>
        At(unit).Save(stage, unit.Package, unit.Platform, unit.Mode, key, outputDir, DateTimeOffset.UtcNow);

    public void Remove(CheckpointAddress unit, CheckpointStage stage) => At(unit).Remove(stage);

    public string Describe(CheckpointAddress unit, CheckpointStage stage) => At(unit).ArchivePath(stage);
}

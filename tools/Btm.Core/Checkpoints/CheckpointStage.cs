namespace Btm.Core.Checkpoints;

/// <summary>A pipeline stage whose output is checkpointed: its id in metadata and its out/ folder.</summary>
public sealed record CheckpointStage(string Id, string OutputFolder)
{
    public static readonly CheckpointStage Compiled = new("compiled", "Compiled");
    public static readonly CheckpointStage Stripped = new("stripped", "Stripped");
    public static readonly CheckpointStage Compressed = new("compressed", "Compressed");
    public static readonly CheckpointStage Final = new("final", "Final");

    public static readonly IReadOnlyList<CheckpointStage> All = [Compiled, Stripped, Compressed, Final];

    public static CheckpointStage? FromId(string id) => All.FirstOrDefault(s => s.Id == id);

    public override string ToString() => Id;
}

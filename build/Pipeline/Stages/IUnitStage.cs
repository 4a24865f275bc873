using Btm.Core.Checkpoints;

namespace Btm.Build.Pipeline;

/// <summary>What one checkpointed stage does for a unit; when it applies and its order come from Btm.Core's StageTable.</summary>
public interface IUnitStage
{
    CheckpointStage Stage { get; }

    /// <summary>Writes the stage's output into <paramref name="outDir"/> (an empty temp folder).</summary>
    /// <returns>A note for the build summary (what the stage decided), or null.</returns>
    string? Produce(BuildContext context, BuildUnit unit, string outDir);
}

/// <summary>The stage implementations, one per row of the stage table.</summary>
public static class UnitStages
{
    private static readonly IReadOnlyList<IUnitStage> All =
    [
        new CompileStage(),
        new StripStage(),
        new CompressStage(),
        new FinalizeStage(),
    ];

    public static IUnitStage For(CheckpointStage stage) =>
        All.FirstOrDefault(s => s.Stage == stage) ?? throw new ArgumentException($"no implementation for stage {stage}", nameof(stage));
}

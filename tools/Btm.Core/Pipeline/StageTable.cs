using Btm.Core.Checkpoints;
using Btm.Core.Model;

namespace Btm.Core.Pipeline;

/// <summary>
/// The one stage table: which checkpointed stages a unit runs, in what order, and which stage's
/// output ships. Tasks, Package, Verify and the CLI all ask here.
/// </summary>
public static class StageTable
{
    /// <summary>Every stage in the order a unit runs them.</summary>
    public static IReadOnlyList<CheckpointStage> Order => CheckpointStage.All;

    /// <summary>Compressed binaries ship in prod; dev keeps plain ones to debug and iterate on.</summary>
    public static bool Compresses(PackageManifest package, BuildMode mode) => package.Compress && mode == BuildMode.Prod;

    public static bool Applies(CheckpointStage stage, PackageManifest package, BuildMode mode) =>
        stage != CheckpointStage.Compressed || Compresses(package, mode);

    /// <summary>The stage whose output Final copies: compressed, else stripped in prod, else compiled.</summary>
    public static CheckpointStage Shipped(PackageManifest package, BuildMode mode) =>
        Compresses(package, mode) ? CheckpointStage.Compressed
        : mode == BuildMode.Prod ? CheckpointStage.Stripped
        : CheckpointStage.Compiled;

    /// <summary>The stages a unit runs up to and including <paramref name="last"/>, in order.</summary>
    public static IEnumerable<CheckpointStage> Through(CheckpointStage last, PackageManifest package, BuildMode mode)
    {
        foreach (var stage in Order)
        {
            if (Applies(stage, package, mode))
                yield return stage;
            if (stage == last)
                yield break;
        }
    }

    public static int IndexOf(CheckpointStage stage)
    {
        for (var i = 0; i < Order.Count; i++)
        {
            if (Order[i] == stage)
                return i;
        }
        throw new ArgumentException($"{stage} is not in the stage table", nameof(stage));
    }
}

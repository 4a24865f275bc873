using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Core.Pipeline;

/// <summary>
/// Where one unit's files live: <c>packages/&lt;name&gt;/build/&lt;mode&gt;/&lt;platform&gt;/{checkpoints,work,out/&lt;Stage&gt;}</c>.
/// </summary>
public sealed class UnitLayout(string packageDir, BuildMode mode, PlatformId platform)
{
    public const string BuildFolder = "build";

    public static UnitLayout For(string repoRoot, string package, BuildMode mode, PlatformId platform) =>
        new(Path.Combine(repoRoot, "packages", package), mode, platform);

    public string Root { get; } = Path.Combine(packageDir, BuildFolder, mode.Id, platform.ToString());

    public string CheckpointsDir => Path.Combine(Root, "checkpoints");

    /// <summary>The builder's own tree (CMake build dir, make objects); not checkpointed.</summary>
    public string WorkDir => Path.Combine(Root, "work");

    public string OutputDir(CheckpointStage stage) => Path.Combine(Root, "out", stage.OutputFolder);

    /// <summary>What ships: the Final stage's output.</summary>
    public string ShippedDir => OutputDir(CheckpointStage.Final);

    public string BinaryFileName(string binary) => binary + platform.ExecutableSuffix;

    public string Binary(CheckpointStage stage, string binary) => Path.Combine(OutputDir(stage), BinaryFileName(binary));

    public string ShippedBinary(string binary) => Binary(CheckpointStage.Final, binary);
}

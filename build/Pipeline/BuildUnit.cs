using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>One package built for one platform in one mode, and where its files go.</summary>
public sealed class BuildUnit(PackageManifest package, PlatformId platform, string mode, Toolchain toolchain)
{
    public PackageManifest Package { get; } = package;
    public PlatformId Platform { get; } = platform;
    public string Mode { get; } = mode;
    public Toolchain Toolchain { get; } = toolchain;

    /// <summary>packages/&lt;name&gt;/build/&lt;mode&gt;/&lt;platform&gt;</summary>
    public string Root => Path.Combine(Package.Directory, "build", Mode, Platform.ToString());

    public string CheckpointsDir => Path.Combine(Root, "checkpoints");

    /// <summary>The builder's own tree (CMake build dir, make objects); not checkpointed.</summary>
    public string WorkDir => Path.Combine(Root, "work");

    public string OutputDir(CheckpointStage stage) => Path.Combine(Root, "out", stage.OutputFolder);

    public CheckpointStore Checkpoints => new(CheckpointsDir);

    public string BinaryFileName(string binary) => binary + Platform.ExecutableSuffix;

    /// <summary>Compressed binaries ship in prod; dev keeps plain ones to debug and iterate on.</summary>
    public bool Compresses => Package.Compress && Mode == "prod";

    public override string ToString() => $"{Package.Name} {Platform} {Mode}";
}

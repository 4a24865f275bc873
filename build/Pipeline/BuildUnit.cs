using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Btm.Core.Pipeline;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>One package built for one platform in one mode: its builder, toolchain, identity, dependencies and layout.</summary>
public sealed class BuildUnit(
    PackageManifest package,
    PlatformId platform,
    BuildMode mode,
    Toolchain toolchain,
    IPackageBuilder builder,
    IReadOnlyList<BuildUnit> dependencies)
{
    public PackageManifest Package { get; } = package;
    public PlatformId Platform { get; } = platform;
    public BuildMode Mode { get; } = mode;
    public Toolchain Toolchain { get; } = toolchain;
    public IPackageBuilder Builder { get; } = builder;
    private ToolchainIdentity? identity;

    /// <summary>What CheckTools found this unit's toolchain and builder tool to be (their versions are in its keys).</summary>
    public ToolchainIdentity Identity => identity ?? throw new InvalidOperationException($"{this}: its toolchain was not proved yet; only units CheckTools kept are built");

    /// <summary>Records the identity CheckTools probed: the unit can be built.</summary>
    public void Proved(ToolchainIdentity found) => identity = found;

    /// <summary>The units of this package's dependencies for the same platform and mode.</summary>
    public IReadOnlyList<BuildUnit> Dependencies { get; } = dependencies;

    public UnitLayout Layout { get; } = new(package.Directory, mode, platform);

    public CheckpointAddress Address => new(Package.Name, Platform.ToString(), Mode.Id, Layout.CheckpointsDir);

    public string WorkDir => Layout.WorkDir;

    public string OutputDir(CheckpointStage stage) => Layout.OutputDir(stage);

    public string BinaryFileName(string binary) => Layout.BinaryFileName(binary);

    public bool Compresses => StageTable.Compresses(Package, Mode);

    /// <summary>The stage whose output Final copies and therefore ships.</summary>
    public CheckpointStage ShippedStage => StageTable.Shipped(Package, Mode);

    public override string ToString() => $"{Package.Name} {Platform} {Mode}";
}

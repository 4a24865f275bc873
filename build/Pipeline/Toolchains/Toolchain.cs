using Btm.Cake.Strip;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>A toolchain definition resolved for one target on this host: the commands to run.</summary>
public sealed record Toolchain(
    string Id,
    PlatformId Target,
    string? Triple,
    string CCompiler,
    string? CxxCompiler,
    string Ar,
    string Ranlib,
    string Strip,
    StripFlavor StripFlavor,
    bool Cross,
    string? CMakeSystemName,
    string? CMakeSystemProcessor,
    string InstallHint,
    string? UnavailableReason)
{
    /// <summary>A program that runs this target's binaries here (qemu-user, wine), with its arguments.</summary>
    public IReadOnlyList<string>? Emulator { get; init; }

    /// <summary>The glibc its linux glibc binaries are linked against ("2.17"); null: whatever glibc it has.</summary>
    public string? GlibcFloor { get; init; }

    /// <summary>zig's -target for a zig row ("x86_64-linux-gnu.2.17"); null otherwise.</summary>
    public string? ZigTarget { get; init; }

    /// <summary>Its binaries run on this host as they are (x64 musl where musl-tools put the musl loader).</summary>
    public bool RunsHere { get; init; }

    /// <summary>This target's binaries run here without an emulator.</summary>
    public bool RunsNatively(PlatformId host) => HostPlatform.CanRun(host, Target) || RunsHere;

    /// <summary>This target's binaries can be run here: natively, or through the emulator.</summary>
    public bool Runnable(PlatformId host) => RunsNatively(host) || Emulator is not null;

    /// <summary>True when this target can never be built from this host, whatever is installed.</summary>
    public bool Impossible => UnavailableReason is not null;
}

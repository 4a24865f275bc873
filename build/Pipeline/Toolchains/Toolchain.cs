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

    /// <summary>True when this target can never be built from this host, whatever is installed.</summary>
    public bool Impossible => UnavailableReason is not null;
}

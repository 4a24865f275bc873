using System.Runtime.InteropServices;

namespace Btm.Core.Platforms;

/// <summary>Works out which <see cref="PlatformId"/> this process runs on.</summary>
public static class HostPlatform
{
    private static readonly Lazy<PlatformId> Current = new(() => Detect(
        OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux",
        RuntimeInformation.OSArchitecture,
        "/"));

    public static PlatformId Detect() => Current.Value;

    /// <summary>
    /// Detection over an explicit root folder so tests can present a musl or glibc file system.
    /// First the interpreter of the running process (&lt;root&gt;/proc/self/exe). Without one (a
    /// static process), the file system: the musl loader is the most reliable sign: glibc systems never ship <c>ld-musl-*</c> in
    /// /lib, while musl systems always do (it is the dynamic linker). Some glibc hosts install
    /// musl-tools, which puts the loader under /usr/lib/musl, not /lib, so that does not count.
    /// </summary>
    public static PlatformId Detect(string os, Architecture arch, string rootFs)
    {
        var cpu = arch switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            _ => throw new PlatformNotSupportedException(
                $"host cpu {arch} is not a BTM target (supported: {string.Join(", ", PlatformId.KnownCpu)})"),
        };
        return new PlatformId(os, cpu, os == "linux" && IsMusl(rootFs));
    }

    public static bool IsMusl(string rootFs)
    {
        // The running process's own loader is the answer; files lying around are only clues.
        var self = Path.Combine(rootFs, "proc", "self", "exe");
        if (File.Exists(self))
        {
            try
            {
                var (isElf, interpreter) = ElfInterpreter.Read(self);
                switch (ElfInterpreter.Classify(interpreter, isElf))
                {
                    case ElfInterpreter.Libc.Musl:
                        return true;
                    case ElfInterpreter.Libc.Glibc:
                        return false;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        // Debian's musl package (pulled in by musl-tools) puts /lib/ld-musl-*.so.1 on a glibc
        // host; the glibc loader is the tie-breaker, as no musl system ships it by default.
        foreach (var dir in new[] { "lib", "lib64" })
        {
            var glibcDir = Path.Combine(rootFs, dir);
            if (Directory.Exists(glibcDir) && Directory.EnumerateFiles(glibcDir, "ld-linux*.so.*").Any())
                return false;
        }
        var lib = Path.Combine(rootFs, "lib");
        if (Directory.Exists(lib) && Directory.EnumerateFiles(lib, "ld-musl-*.so.1").Any())
            return true;
        // Alpine's ldd is a shell script that execs the musl loader; glibc's ldd names glibc.
        var ldd = Path.Combine(rootFs, "usr", "bin", "ldd");
        if (File.Exists(ldd) && new FileInfo(ldd).Length < 64 * 1024)
        {
            var text = File.ReadAllText(ldd);
            return text.Contains("musl", StringComparison.Ordinal) && !text.Contains("GNU C Library", StringComparison.Ordinal);
        }
        return false;
    }

    /// <summary>True when binaries built for <paramref name="target"/> run on <paramref name="host"/> as they are.</summary>
    public static bool CanRun(PlatformId host, PlatformId target) =>
        host.Os == target.Os && host.Cpu == target.Cpu && host.Musl == target.Musl;
}

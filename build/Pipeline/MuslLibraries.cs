using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Shared libraries a musl program loads from the system it runs on (Bun's musl runtimes need
/// libstdc++ and libgcc_s, as Alpine's packages give them). A Debian host runs musl programs with
/// Debian's musl loader, which finds no musl build of them: such a program is not run here, and
/// says why, rather than failing as if it were broken.
/// </summary>
public static class MuslLibraries
{
    /// <summary>Why <paramref name="libraries"/> cannot be loaded by this host's musl, or null when they can (or the target is not musl).</summary>
    public static string? Missing(PlatformId platform, IReadOnlyList<string> libraries)
    {
        if (!platform.Musl || libraries.Count == 0)
            return null;
        var arch = platform.Cpu == "arm64" ? "aarch64" : "x86_64";
        // musl's loader searches /etc/ld-musl-<arch>.path when it exists, else /lib:/usr/local/lib:/usr/lib.
        var pathFile = $"/etc/ld-musl-{arch}.path";
        var dirs = File.Exists(pathFile)
            ? File.ReadAllText(pathFile).Split([':', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ["/lib", "/usr/local/lib", "/usr/lib"];
        var missing = libraries.Where(l => !dirs.Any(d => File.Exists(Path.Combine(d, l)))).ToList();
        return missing.Count == 0 ? null
            : $"it loads {string.Join(" and ", missing)} from the musl system it runs on, which this host's musl loader does not find (on Alpine: apk add libstdc++)";
    }
}

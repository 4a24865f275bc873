using Btm.Core.Model;
using Btm.Core.Pipeline;
using Btm.Core.Platforms;

namespace Btm.Cli;

/// <summary>
/// Which bin-stub starts a program: the one built for the program's platform (read from its headers,
/// or --target-platform), from the BTM repo around the current folder when it has built one, else
/// from the stubs this tool package carries (stubs/&lt;platform&gt;/bin-stub beside btm.dll).
/// </summary>
public static class StubLocator
{
    public const string PackagedFolder = "stubs";

    public static string PackagedRoot => Path.Combine(AppContext.BaseDirectory, PackagedFolder);

    /// <summary>The stub for <paramref name="input"/>; throws <see cref="ArgumentException"/> with a message saying what to do.</summary>
    public static string Find(string input, string? targetPlatform)
    {
        var (candidates, why) = Candidates(input, targetPlatform);
        // A static program runs on either libc, and so does a static stub: prefer one; else the first
        // candidate (glibc, the common case) in the order Places gives.
        var chosen = candidates.SelectMany(c => Places(PackageManifest.StubPackage, c)).Where(File.Exists)
            .OrderBy(f => candidates.Count > 1 && ExecutableTarget.Read(f) is { Libc: ElfInterpreter.Libc.Static } ? 0 : 1)
            .FirstOrDefault();
        if (chosen is not null)
            return chosen;
        var carried = Directory.Exists(PackagedRoot)
            ? string.Join(", ", Directory.GetDirectories(PackagedRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            : "";
        throw new ArgumentException($"no bin-stub for {string.Join(" or ", candidates)} ({why}): " +
            (carried.Length > 0 ? $"this btm carries stubs for {carried}; " : "") +
            $"inside a BTM repo build one with ./build.sh --target=Build --package=bin-stub --mode=prod --platform={candidates[0]}, or pass --stub <file>");
    }

    private static (IReadOnlyList<PlatformId> Candidates, string Why) Candidates(string input, string? targetPlatform)
    {
        if (targetPlatform is not null)
        {
            if (!PlatformId.TryParse(targetPlatform, out var id, out var error))
                throw new ArgumentException($"--target-platform {targetPlatform}: {error}");
            return ([id], "from --target-platform");
        }
        var target = ExecutableTarget.Read(input)
            ?? throw new ArgumentException($"{input} is not an x64 or arm64 ELF, PE or Mach-O executable, so its platform is unknown: pass --target-platform <id> ({PlatformId.KnownList})");
        var why = $"the input is {target}";
        return target switch
        {
            { Os: "linux", Libc: ElfInterpreter.Libc.Musl } => ([new PlatformId("linux", target.Cpu, true)], why),
            { Os: "linux", Libc: ElfInterpreter.Libc.Static } => ([new PlatformId("linux", target.Cpu, false), new PlatformId("linux", target.Cpu, true)], why),
            _ => ([new PlatformId(target.Os, target.Cpu, false)], why),
        };
    }

    /// <summary>The built <paramref name="package"/> (bin-stub, psp-launcher) for <paramref name="platform"/>, or null.</summary>
    public static string? FindBuilt(string package, PlatformId platform) => Places(package, platform).FirstOrDefault(File.Exists);

    /// <summary>The repo's prod then dev build (it wins: it is what the repo just built), then the packaged one.</summary>
    private static IEnumerable<string> Places(string package, PlatformId platform)
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, RepoSettings.FileName)))
                continue;
            foreach (var mode in new[] { BuildMode.Prod, BuildMode.Dev })
                yield return UnitLayout.For(dir.FullName, package, mode, platform).ShippedBinary(package);
            break;
        }
        yield return Path.Combine(PackagedRoot, platform.ToString(), package + platform.ExecutableSuffix);
    }
}

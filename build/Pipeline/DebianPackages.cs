using System.Text.RegularExpressions;
using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>
/// The Debian packages BTM needs (debian-packages.txt beside this file, the one list .ci/run reads
/// too), which of them are missing, and installing them as root or with passwordless sudo, saying
/// what it installs; elsewhere it says the one command to run.
/// </summary>
public static partial class DebianPackages
{
    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<string>>> List = new(() =>
    {
        using var stream = typeof(DebianPackages).Assembly.GetManifestResourceStream("Btm.Build.Pipeline.debian-packages.txt")!;
        using var reader = new StreamReader(stream);
        var list = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 1 && !words[0].StartsWith('#'))
                list[words[0]] = words[1..];
        }
        return list;
    });

    /// <summary>The packages every build needs.</summary>
    public static IReadOnlyList<string> Base => List.Value.GetValueOrDefault("base", []);

    /// <summary>What a builder's own program needs ("builder:name"): go for the go builder.</summary>
    public static IReadOnlyList<string> ForBuilder(string builder) => List.Value.GetValueOrDefault($"builder:{builder}", []);

    /// <summary>What one package of this repo needs on the build host ("package:name"): cpython's cross builds run Debian's python3.11.</summary>
    public static IReadOnlyList<string> ForPackage(string package) => List.Value.GetValueOrDefault($"package:{package}", []);

    /// <summary>What an installer format's program needs ("installer:format"): rpm for rpm, nsis for nsis.</summary>
    public static IReadOnlyList<string> ForInstaller(string format) => List.Value.GetValueOrDefault($"installer:{format}", []);

    /// <summary>What Authenticode signing needs (osslsigncode).</summary>
    public static IReadOnlyList<string> ForAuthenticode => List.Value.GetValueOrDefault("authenticode", []);

    /// <summary>What measuring a budget needs ("budget:field"): GNU time for maxRssMiB.</summary>
    public static IReadOnlyList<string> ForBudget(string field) => List.Value.GetValueOrDefault($"budget:{field}", []);

    /// <summary>What a toolchain row needs to build <paramref name="target"/> ("toolchain:id:target", else "toolchain:id").</summary>
    public static IReadOnlyList<string> ForToolchain(string toolchainId, string target) =>
        List.Value.GetValueOrDefault($"toolchain:{toolchainId}:{target}") ?? List.Value.GetValueOrDefault($"toolchain:{toolchainId}", []);

    /// <summary>What running <paramref name="target"/>'s programs on this host needs (emulators, the target's loader).</summary>
    public static IReadOnlyList<string> ForRunning(string target) => List.Value.GetValueOrDefault($"run:{target}", []);

    /// <summary>
    /// Those of <paramref name="packages"/> dpkg does not list as installed; empty where there is no
    /// dpkg (not a Debian machine: the toolchain proof then says what is missing).
    /// </summary>
    public static List<string> Missing(IEnumerable<string> packages, Func<string, string?> find)
    {
        var wanted = packages.Distinct().ToList();
        if (wanted.Count == 0 || find("dpkg-query") is not { } dpkgQuery)
            return [];
        var (_, output) = ToolProbe.Run(dpkgQuery, ["-W", "-f=${Package} ${Status}\n", .. wanted]);
        var installed = output.Split('\n').Where(l => l.EndsWith(" install ok installed", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0].Split(':')[0]).ToHashSet(StringComparer.Ordinal);
        return wanted.Where(p => !installed.Contains(p)).ToList();
    }

    [GeneratedRegex(@"apt-get install ((?:[a-z0-9][a-z0-9.+-]*)(?: [a-z0-9][a-z0-9.+-]*)*)")]
    private static partial Regex InstallHint();

    /// <summary>The packages the problems' hints name, in order, without repeats.</summary>
    public static List<string> Named(IEnumerable<string> problems) =>
        problems.SelectMany(p => InstallHint().Matches(p).SelectMany(m => m.Groups[1].Value.Split(' '))).Distinct().ToList();

    /// <summary>Installs <paramref name="packages"/>; false (having said why and what to run) when this machine cannot.</summary>
    public static bool Install(BuildContext context, IReadOnlyList<string> packages)
    {
        var command = $"sudo apt-get install {string.Join(' ', packages)}";
        if (context.ToolLookup.Find("apt-get") is not { } aptGet)
        {
            context.Warn($"not a Debian-based machine: install the missing tools yourself (on Debian/Ubuntu: {command})");
            return false;
        }
        string[] prefix = [];
        if (Environment.UserName != "root")
        {
            var sudo = context.ToolLookup.Find("sudo");
            if (sudo is null || ToolProbe.Run(sudo, "-n", "true").ExitCode != 0)
            {
                context.Warn($"installing needs root: run `{command}`, then run the release again");
                return false;
            }
            prefix = [sudo, "-n", "env", "DEBIAN_FRONTEND=noninteractive"];
        }
        context.Info($"installing {string.Join(", ", packages)} (apt-get)");
        string[] Apt(params string[] args) => [.. prefix, aptGet, .. args];
        foreach (var step in new[] { Apt("update", "-qq"), Apt(["install", "-y", "-qq", "--no-install-recommends", .. packages]) })
        {
            var start = new System.Diagnostics.ProcessStartInfo(step[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in step.Skip(1))
                start.ArgumentList.Add(a);
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = System.Diagnostics.Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                context.Fail($"apt-get {step[prefix.Length + 1]} failed: {(output + error.Result).Trim().Split('\n').LastOrDefault()}");
                return false;
            }
        }
        context.Success($"installed {string.Join(", ", packages)}");
        return true;
    }
}

using System.Text.RegularExpressions;
using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>
/// Installs the Debian packages that missing tools' hints name ("apt-get install gcc-aarch64-linux-gnu"),
/// as root or with passwordless sudo, saying what it installs; elsewhere it says the one command to run.
/// </summary>
public static partial class DebianPackages
{
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

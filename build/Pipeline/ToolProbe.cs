using Btm.Core;
using Btm.Core.Model;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Btm.Build.Pipeline;

/// <summary>Runs a program (found by <see cref="Btm.Cake.Hosting.ToolLookup"/>) with an argument list and a time limit, and reads versions.</summary>
public static partial class ToolProbe
{
    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex VersionPattern();

    /// <summary>
    /// Runs a built binary with its btm.json "verify" probe, natively or through the toolchain's
    /// emulator; <c>Ok</c> when it exits 0 printing what the probe expects.
    /// </summary>
    public static (bool Ok, int ExitCode, string Output, string Expected) Probe(Toolchain toolchain, string file, string binary, VerifyProbe probe, string version)
    {
        string[] command = [.. toolchain.Emulator ?? [], file, .. probe.Args];
        var (exit, output) = Run(command[0], command[1..]);
        var expected = probe.Expected(binary, version);
        return (exit == 0 && output.Contains(expected, StringComparison.Ordinal), exit, output, expected);
    }

    /// <summary>Runs a program to completion and returns its exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args) => RunIn(null, file, args);

    public static (int ExitCode, string Output) RunIn(string? workingDirectory, string file, params string[] args) =>
        RunIn(workingDirectory, TimeSpan.FromSeconds(60), file, args);

    public static (int ExitCode, string Output) RunIn(string? workingDirectory, TimeSpan timeout, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new BuildFailedException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new BuildFailedException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, (stdout + stderr.Result).Trim());
    }

    public static string? ParseVersion(string output) => VersionPattern().Match(output) is { Success: true } m ? m.Value : null;

    public static bool VersionAtLeast(string actual, string minimum) =>
        Version.TryParse(Pad(actual), out var a) && Version.TryParse(Pad(minimum), out var b) && a >= b;

    private static string Pad(string v) => v.Count(c => c == '.') switch { 0 => v + ".0", _ => v };
}

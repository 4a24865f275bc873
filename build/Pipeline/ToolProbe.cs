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
        // A program that execs another (a PSP's launcher, a compressed binary's stub) reaches qemu
        // again through binfmt_misc, which takes the sysroot -L gave from QEMU_LD_PREFIX.
        var emulator = toolchain.Emulator ?? [];
        var sysroot = emulator.ToList().IndexOf("-L") is var at and >= 0 && at + 1 < emulator.Count ? emulator[at + 1] : null;
        var (exit, output) = RunIn(null, TimeSpan.FromSeconds(60), sysroot is null ? null : new Dictionary<string, string> { ["QEMU_LD_PREFIX"] = sysroot },
            command[0], command[1..]);
        var expected = probe.Expected(binary, version);
        return (exit == 0 && output.Contains(expected, StringComparison.Ordinal), exit, output, expected);
    }

    /// <summary>Runs a program to completion and returns its exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Output) Run(string file, params string[] args) => RunIn(null, file, args);

    public static (int ExitCode, string Output) RunIn(string? workingDirectory, string file, params string[] args) =>
        RunIn(workingDirectory, TimeSpan.FromSeconds(60), file, args);

    public static (int ExitCode, string Output) RunIn(string? workingDirectory, TimeSpan timeout, string file, params string[] args) =>
        RunIn(workingDirectory, timeout, null, file, args);

    private static (int ExitCode, string Output) RunIn(string? workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, string file, string[] args)
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
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
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

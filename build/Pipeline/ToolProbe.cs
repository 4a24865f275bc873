using Btm.Core;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Btm.Build.Pipeline;

/// <summary>Runs a program (found by <see cref="Btm.Cake.Hosting.ToolLookup"/>) with an argument list and a time limit, and reads versions.</summary>
public static partial class ToolProbe
{
    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex VersionPattern();

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

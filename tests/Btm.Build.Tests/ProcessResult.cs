using System.Diagnostics;
using System.Text.Json;

namespace Btm.Build.Tests;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public static ProcessResult Run(string file, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string?>? environment = null, int timeoutSeconds = 300, string? stdin = null)
    {
        var start = StartInfo(file, args, workingDirectory, environment);
        start.RedirectStandardInput = stdin is not null;
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {timeoutSeconds} s");
        }
        return new ProcessResult(process.ExitCode, Strip(stdout.Result), Strip(stderr.Result));
    }

    /// <summary>How <see cref="Run"/> starts a process (output redirected, NO_COLOR, null removes a variable), for a test that waits on it itself.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        return start;
    }

    // Cake colours its log; assertions read plain text.
    private static string Strip(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\u001b\\[[0-9;]*m", "");
}

/// <summary>The processes running now (read from /proc), for tests that check what outlived what.</summary>
public static class LiveProcesses
{
    /// <summary>Pid and command line of each process whose /proc folder matches (the test host left out).</summary>
    public static List<(string Pid, string CommandLine)> Find(Func<string, bool> match)
    {
        var found = new List<(string, string)>();
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out var pid) && pid != Environment.ProcessId))
        {
            try
            {
                if (match(dir))
                    found.Add((Path.GetFileName(dir), File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }
        return found;
    }

    /// <summary>Pid and command line of each process whose command line contains <paramref name="part"/>.</summary>
    public static List<(string Pid, string CommandLine)> WithCommandLine(string part) =>
        Find(dir => File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(part, StringComparison.Ordinal));
}

public sealed record StageResult(string Package, string Platform, string Mode, string Stage, string Outcome, string Detail);

public static class Summary
{
    public static IReadOnlyList<StageResult> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("stages").EnumerateArray().Select(e => new StageResult(
            e.GetProperty("package").GetString()!, e.GetProperty("platform").GetString()!, e.GetProperty("mode").GetString()!,
            e.GetProperty("stage").GetString()!, e.GetProperty("outcome").GetString()!, e.GetProperty("detail").GetString()!)).ToList();
    }
}

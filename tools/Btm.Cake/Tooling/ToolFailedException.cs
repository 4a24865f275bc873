using Btm.Core;

namespace Btm.Cake.Tooling;

/// <summary>
/// A tool exited non-zero. The message carries the command and the tail of its output; the whole
/// output travels along so the caller can keep it in a log file and name that file.
/// </summary>
public sealed class ToolFailedException(string tool, string commandLine, int exitCode, IReadOnlyList<string> tail,
    IReadOnlyList<string> output, string? logPath = null)
    : BuildFailedException(Format(tool, commandLine, exitCode, tail, output.Count, logPath))
{
    public string Tool { get; } = tool;
    public string CommandLine { get; } = commandLine;
    public int ExitCode { get; } = exitCode;
    public IReadOnlyList<string> Tail { get; } = tail;
    public IReadOnlyList<string> Output { get; } = output;
    public string? LogPath { get; } = logPath;

    /// <summary>The same failure, its message naming the file the whole output was written to.</summary>
    public ToolFailedException WithLog(string path) => new(Tool, CommandLine, ExitCode, Tail, Output, path);

    private static string Format(string tool, string commandLine, int exitCode, IReadOnlyList<string> tail, int lines, string? logPath)
    {
        var text = $"{tool} failed with exit code {exitCode}\n  command: {commandLine}";
        if (tail.Count > 0)
            text += $"\n  last {tail.Count} of {lines} lines of output:\n" + string.Join("\n", tail.Select(l => "    " + l));
        if (logPath is not null)
            text += $"\n  full log: {logPath}";
        return text;
    }
}

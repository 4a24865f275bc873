using Btm.Core;

namespace Btm.Cake.Tooling;

/// <summary>A tool exited non-zero. The message carries the command and the tail of its output.</summary>
public sealed class ToolFailedException(string tool, string commandLine, int exitCode, IReadOnlyList<string> tail)
    : BuildFailedException(Format(tool, commandLine, exitCode, tail))
{
    public string Tool { get; } = tool;
    public string CommandLine { get; } = commandLine;
    public int ExitCode { get; } = exitCode;
    public IReadOnlyList<string> Tail { get; } = tail;

    private static string Format(string tool, string commandLine, int exitCode, IReadOnlyList<string> tail)
    {
        var text = $"{tool} failed with exit code {exitCode}\n  command: {commandLine}";
        if (tail.Count > 0)
            text += $"\n  last {tail.Count} lines of output:\n" + string.Join("\n", tail.Select(l => "    " + l));
        return text;
    }
}

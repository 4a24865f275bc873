using Btm.Core;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Tooling;

/// <summary>
/// A <see cref="Tool{TSettings}"/> that keeps the last lines of stdout and stderr, so a failure
/// reports what the tool said instead of only "exit code 2". Arguments reach the process as a
/// list (Cake quotes each one); no shell is involved.
/// </summary>
public abstract class CapturingTool<TSettings> : Tool<TSettings>
    where TSettings : ToolSettings
{
    protected CapturingTool(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
        : base(fileSystem, environment, processRunner, tools) => CakeEnvironment = environment;

    protected ICakeEnvironment CakeEnvironment { get; }

    public const int TailLines = 40;

    /// <summary>Runs the tool; returns its stdout lines; throws <see cref="ToolFailedException"/> on a non-zero exit.</summary>
    protected IReadOnlyList<string> RunCaptured(TSettings settings, ProcessArgumentBuilder arguments)
    {
        var tail = new Queue<string>();
        var stdout = new List<string>();
        var all = new List<string>();
        var gate = new object();

        void Keep(string? line, bool isStdout)
        {
            if (line is null)
                return;
            lock (gate)
            {
                if (isStdout)
                    stdout.Add(line);
                all.Add(line);
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                    tail.Dequeue();
            }
        }

        var processSettings = new ProcessSettings
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectedStandardOutputHandler = line => { Keep(line, true); return line; },
            RedirectedStandardErrorHandler = line => { Keep(line, false); return line; },
        };
        var toolPath = GetToolPath(settings)?.FullPath
            ?? throw new BuildFailedException(
                $"{GetToolName()}: could not find {string.Join(" or ", GetToolExecutableNames(settings).Distinct())} on PATH; install it or set ToolPath");
        var rendered = arguments.Render();
        using var process = RunProcess(settings, arguments, processSettings);
        process.WaitForExit();
        // Reading the queues makes sure both streams were drained before we look at the tail.
        _ = process.GetStandardOutput().ToList();
        _ = process.GetStandardError().ToList();
        var exitCode = process.GetExitCode();
        if (exitCode != 0)
        {
            lock (gate)
                throw new ToolFailedException(GetToolName(), $"{toolPath} {rendered}", exitCode, tail.ToList(), all.ToList());
        }
        lock (gate)
            return stdout.ToList();
    }
}

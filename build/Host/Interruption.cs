using System.Runtime.InteropServices;
using Btm.Core.IO;

namespace Btm.Build.Host;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM: say "interrupted", stop the tools this run started, remove this
/// run's temp files, then let the signal end the process as it would have (shells see 130, 143).
/// A task that serves until stopped (Registry) takes the signal as its graceful stop instead.
/// </summary>
public static class Interruption
{
    private static Action? _graceful;

    public static IDisposable Install()
    {
        var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }
            .Select(signal => PosixSignalRegistration.Create(signal, c =>
            {
                if (Volatile.Read(ref _graceful) is { } stop)
                {
                    c.Cancel = true;
                    stop();
                    return;
                }
                // Not Environment.Exit: exiting from inside a signal handler can wait on that very
                // handler. Left uncancelled, the signal takes its default action once we return.
                CleanUp();
            })).ToList();
        return new Registrations(registrations);
    }

    /// <summary>While the result is not disposed, a signal calls <paramref name="stop"/> instead of ending the run.</summary>
    public static IDisposable Graceful(Action stop)
    {
        Volatile.Write(ref _graceful, stop);
        return new Registrations([new Reset()]);
    }

    private static void CleanUp()
    {
        var removed = AtomicFile.RemoveLiveTemps();
        Console.Error.WriteLine($"fail    interrupted{(removed > 0 ? $": removed {removed} temp file(s) of this run" : "")}");
        Console.Error.Flush();
        // Last: the moment a tool dies, the build thread would start reporting it as a failure.
        StopChildren();
    }

    /// <summary>Builders and npm run as children; on a terminal they get the signal too, from a kill they would not.</summary>
    private static void StopChildren()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var self = Environment.ProcessId.ToString();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] != self)
                    continue;
                using var child = System.Diagnostics.Process.GetProcessById(pid);
                child.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                                          or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to stop.
            }
        }
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => Volatile.Write(ref _graceful, null);
    }

    private sealed class Registrations(IReadOnlyList<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
                item.Dispose();
        }
    }
}

using System.Runtime.InteropServices;
using Btm.Core.IO;

namespace Btm.Build.Host;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM: say "interrupted", stop the tools this run started, remove this
/// run's temp files, exit 130 (143 for SIGTERM), as shells expect. A task that serves until
/// stopped (Registry) takes the signal as its graceful stop instead.
/// </summary>
public static class Interruption
{
    private static Action? _graceful;

    public static IDisposable Install()
    {
        var registrations = new[] { (PosixSignal.SIGINT, 130), (PosixSignal.SIGTERM, 143) }
            .Select(s => PosixSignalRegistration.Create(s.Item1, c =>
            {
                c.Cancel = true;
                if (Volatile.Read(ref _graceful) is { } stop)
                {
                    stop();
                    return;
                }
                Stop(s.Item2);
            })).ToList();
        return new Registrations(registrations);
    }

    /// <summary>While the result is not disposed, a signal calls <paramref name="stop"/> instead of ending the run.</summary>
    public static IDisposable Graceful(Action stop)
    {
        Volatile.Write(ref _graceful, stop);
        return new Registrations([new Reset()]);
    }

    private static void Stop(int exitCode)
    {
        StopChildren();
        var removed = AtomicFile.RemoveLiveTemps();
        Console.Error.WriteLine($"fail    interrupted{(removed > 0 ? $": removed {removed} temp file(s) of this run" : "")}");
        Environment.Exit(exitCode);
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

using System.Diagnostics;
using System.Globalization;
using Cake.Core;

namespace Btm.Cake.Logging;

/// <summary>
/// Long work made visible. On a terminal (and only one piece of long work at a time) a line
/// redrawn in place, with a bar when the total is known; anywhere else (CI, a pipe, a file, or
/// parallel units on a terminal) an info line every BTM_PROGRESS_SECONDS (default 15). Work that
/// ends before the first tick prints nothing.
/// </summary>
public sealed class Progress : IDisposable
{
    private const double DefaultSeconds = 15;
    private static int _active;

    private readonly ICakeContext _context;
    private readonly string _label;
    private readonly long? _total;
    private readonly bool _inPlace;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly object _gate = new();
    private long _done;
    private bool _drawn;
    private bool _disposed;

    private Progress(ICakeContext context, string label, long? total, bool inPlace, TimeSpan interval)
    {
        _context = context;
        _label = label;
        _total = total is > 0 ? total : null;
        _inPlace = inPlace;
        _timer = new Timer(_ => Tick(), null, interval, inPlace ? TimeSpan.FromMilliseconds(250) : interval);
    }

    /// <summary>Starts reporting <paramref name="label"/> (bytes of <paramref name="total"/> when given, else time so far).</summary>
    public static Progress Start(ICakeContext context, string label, long? total = null)
    {
        var environment = context.Environment;
        var seconds = double.TryParse(environment.GetEnvironmentVariable("BTM_PROGRESS_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? s : DefaultSeconds;
        var terminal = !Console.IsOutputRedirected && environment.GetEnvironmentVariable("TERM") != "dumb"
            && string.IsNullOrEmpty(environment.GetEnvironmentVariable("CI"));
        var inPlace = terminal && Interlocked.Increment(ref _active) == 1;
        if (terminal && !inPlace)
            Interlocked.Decrement(ref _active);
        // A redrawn line can start after a second; a logged one waits a whole interval.
        return new Progress(context, label, total, inPlace, TimeSpan.FromSeconds(inPlace ? Math.Min(1, seconds) : seconds));
    }

    public void Advance(long bytes) => Interlocked.Add(ref _done, bytes);

    private void Tick()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            var seconds = (int)Math.Round(_watch.Elapsed.TotalSeconds);
            var time = seconds >= 60 ? $"{seconds / 60}m{seconds % 60:00}s" : $"{seconds}s";
            var done = Interlocked.Read(ref _done);
            var amount = _total is { } total ? $"{Mib(done)} of {Mib(total)} MiB ({100 * done / total}%)" : done > 0 ? $"{Mib(done)} MiB" : "";
            if (_inPlace)
            {
                var bar = _total is { } t ? "[" + new string('#', (int)(24 * done / t)).PadRight(24) + "] " : "";
                Console.Out.Write($"\r{bar}{_label}: {(amount.Length > 0 ? amount + ", " : "")}{time}\u001b[K");
                Console.Out.Flush();
                _drawn = true;
            }
            else
            {
                _context.Info($"{_label}: {(amount.Length > 0 ? amount + ", " : "")}{time} so far");
            }
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _timer.Dispose();
            if (_drawn)
            {
                Console.Out.Write("\r\u001b[K");
                Console.Out.Flush();
            }
            if (_inPlace)
                Interlocked.Decrement(ref _active);
        }
    }
}

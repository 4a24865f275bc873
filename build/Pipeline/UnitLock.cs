using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>
/// One BTM run at a time works on a unit's folder (its work tree, checkpoints and outputs): an
/// exclusive lock on &lt;unit&gt;/.lock. A second run waits for it, saying for what, then goes on
/// and finds the first run's checkpoints.
/// </summary>
public sealed class UnitLock : IDisposable
{
    private readonly FileStream _file;

    private UnitLock(FileStream file) => _file = file;

    public static UnitLock Acquire(BuildContext context, BuildUnit unit)
    {
        Directory.CreateDirectory(unit.Layout.Root);
        var path = Path.Combine(unit.Layout.Root, ".lock");
        var announced = DateTime.MinValue;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Unix and a share lock on Windows; the
                // kernel drops it when a run dies, so a killed run never blocks the next one.
                return new UnitLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (File.Exists(path))
            {
                if (DateTime.UtcNow - announced > TimeSpan.FromSeconds(30))
                {
                    context.Info($"{unit}: waiting for another BTM run that is building it (lock {Path.GetRelativePath(context.RepoRoot, path)})");
                    announced = DateTime.UtcNow;
                }
                Thread.Sleep(100);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}

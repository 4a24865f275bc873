namespace Btm.Core.IO;

/// <summary>
/// The clone's lock, <c>.btm/clone.lock</c> (flock): a command-line run holds it shared, so
/// several take turns per unit as before; a build of the MCP service holds it exclusively, so it
/// never overlaps any other build of the clone, from any process. The service's worker takes it
/// for its child and says so in <see cref="HeldVariable"/>, which the child then does not wait for.
/// </summary>
public sealed class CloneLock : IDisposable
{
    public const string HeldVariable = "BTM_CLONE_LOCK_HELD";

    private readonly FileStream _file;

    private CloneLock(FileStream file) => _file = file;

    public static string PathOf(string root) => System.IO.Path.Combine(System.IO.Path.GetFullPath(root), ".btm", "clone.lock");

    /// <summary>What a parent that holds the lock exclusively puts in <see cref="HeldVariable"/> for its child.</summary>
    public static string HeldValue(string root) => PathOf(root);

    private static FileStream? TryOpen(string path, bool exclusive)
    {
        try
        {
            // FileShare.None is flock(LOCK_EX); read access with sharing is flock(LOCK_SH).
            return exclusive
                ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits for the lock; <paramref name="waiting"/> is told once, with the lock's path, when it has to wait.</summary>
    public static async Task<CloneLock> AcquireAsync(string root, bool exclusive, CancellationToken cancellationToken, Action<string>? waiting = null)
    {
        var path = PathOf(root);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var told = false;
        while (true)
        {
            if (TryOpen(path, exclusive) is { } file)
                return new CloneLock(file);
            if (!told)
            {
                waiting?.Invoke(path);
                told = true;
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>A command-line run's shared hold, or null when its parent (the MCP service) holds the lock for it.</summary>
    public static CloneLock? ForRun(string root, string? held, Action<string> waiting, CancellationToken cancellationToken)
    {
        if (held is not null && held == HeldValue(root))
            return null;
        return AcquireAsync(root, exclusive: false, cancellationToken, waiting).GetAwaiter().GetResult();
    }

    public void Dispose() => _file.Dispose();
}

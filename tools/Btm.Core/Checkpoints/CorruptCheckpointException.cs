namespace Btm.Core.Checkpoints;

public sealed class CorruptCheckpointException(string path, string reason)
    : BuildFailedException($"{path}: {reason}")
{
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}

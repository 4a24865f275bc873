namespace Btm.Core.Checkpoints;

public sealed class CorruptCheckpointException(string path, string reason)
    : Exception($"{path}: {reason}")
{
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}

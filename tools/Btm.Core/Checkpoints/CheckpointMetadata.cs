using Btm.Core.Keys;

namespace Btm.Core.Checkpoints;

/// <summary>The JSON written beside each checkpoint archive (spec: docs/checkpoints.md).</summary>
public sealed record CheckpointMetadata(
    string Package,
    string Stage,
    string Platform,
    string Mode,
    string Key,
    KeyComponents Components,
    string ArchiveFile,
    long ArchiveSize,
    string ArchiveSha256,
    DateTimeOffset Created)
{
    public const string Format = "btm-checkpoint/1";
}

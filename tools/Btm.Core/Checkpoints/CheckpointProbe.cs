namespace Btm.Core.Checkpoints;

public enum CheckpointState
{
    /// <summary>No checkpoint for this stage.</summary>
    Missing,
    /// <summary>A checkpoint exists for other inputs; <see cref="CheckpointProbe.Reason"/> says which changed.</summary>
    Stale,
    /// <summary>Unreadable, truncated or inconsistent: it is reported, removed and rebuilt.</summary>
    Corrupt,
    /// <summary>Metadata matches this key and the archive has the recorded size.</summary>
    Usable,
}

/// <summary>What the store found for a stage, before any archive is read in full.</summary>
public sealed record CheckpointProbe(CheckpointState State, string Reason, CheckpointMetadata? Metadata)
{
    /// <summary>The checkpoint came from the remote cache in this probe (it is in the local store now).</summary>
    public bool FromRemote { get; init; }
}

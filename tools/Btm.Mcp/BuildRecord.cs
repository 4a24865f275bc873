namespace Btm.Mcp;

/// <summary>Where a build is in its life; the names are what get_build_status answers.</summary>
public static class BuildState
{
    public const string Queued = "QUEUED", Preparing = "PREPARING", Running = "RUNNING", Collecting = "COLLECTING_ARTIFACTS";
    public const string Success = "COMPLETED_SUCCESS", Failure = "COMPLETED_FAILURE", Cancelled = "CANCELLED", Interrupted = "INTERRUPTED";

    public static readonly IReadOnlySet<string> Live = new HashSet<string> { Preparing, Running, Collecting };
    public static readonly IReadOnlySet<string> Final = new HashSet<string> { Success, Failure, Cancelled, Interrupted };
}

/// <summary>One build as the service stores it (.btm/service.db).</summary>
public sealed record BuildRecord(
    string Id,
    string Task,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> Platforms,
    string Mode,
    bool Force,
    string State,
    string? Step,
    DateTimeOffset Created,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    int? ExitCode,
    string LogPath,
    IReadOnlyList<string> Artifacts,
    int? Pid)
{
    /// <summary>The service process (pid) that claimed it from the queue; null while queued.</summary>
    public int? Owner { get; init; }

    /// <summary>Why it ended as it did, for the states a client cannot infer (CANCELLED, INTERRUPTED).</summary>
    public string? Reason { get; init; }

    /// <summary>The service process (pid) whose client asked for it.</summary>
    public int? Requester { get; init; }

    /// <summary>cancel_build was asked, possibly by another service instance than its owner.</summary>
    public bool CancelRequested { get; init; }
}

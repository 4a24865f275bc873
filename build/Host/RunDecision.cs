namespace Btm.Build.Host;

/// <summary>Whether a task runs, and if not, the reason the report shows.</summary>
public readonly record struct RunDecision(bool ShouldRun, string? Reason)
{
    public static RunDecision Run => new(true, null);

    public static RunDecision Skip(string reason) => new(false, reason);
}

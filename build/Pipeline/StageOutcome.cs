namespace Btm.Build.Pipeline;

public enum StageOutcome
{
    Built,
    Restored,
    Skipped,
    Passed,
    Failed,
}

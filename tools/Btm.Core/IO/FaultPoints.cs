namespace Btm.Core.IO;

/// <summary>
/// Named places where a test can make this process die as a crash would (no cleanup, no
/// finally blocks): set BTM_FAULT=&lt;name&gt;. Unset, a hit costs one string compare.
/// </summary>
public static class FaultPoints
{
    public const string Variable = "BTM_FAULT";
    private static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    public static void Hit(string name)
    {
        if (Armed is not null && string.Equals(Armed, name, StringComparison.Ordinal))
            Environment.FailFast($"BTM_FAULT: simulated crash at {name}");
    }
}

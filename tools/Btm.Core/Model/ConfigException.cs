namespace Btm.Core.Model;

/// <summary>
/// Bad input in a repo or package settings file. The message always names the file, the field
/// and the fix, because the person reading it is fixing that file, not debugging BTM.
/// </summary>
public sealed class ConfigException(string file, string field, string problem, string fix)
    : Exception($"{file}: {field}: {problem}. Fix: {fix}")
{
    public string File { get; } = file;
    public string Field { get; } = field;
    public string Problem { get; } = problem;
    public string Fix { get; } = fix;
}

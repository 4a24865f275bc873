using System.Text.RegularExpressions;

namespace Btm.Core.Model;

/// <summary>
/// The one rule for a component's name: it is a folder under packages/, an npm name
/// (@scope/name and @scope/name-&lt;platform&gt;), a CMake target and a file name on every OS.
/// </summary>
public static partial class PackageNames
{
    // npm's rules for the unscoped part of a name, narrowed to lowercase kebab-case.
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex Safe();

    /// <summary>Names npm or Windows refuse: npm's blacklist and the DOS device names.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "node_modules", "favicon.ico", "con", "prn", "aux", "nul",
        "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
        "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    };

    /// <summary>What is wrong with the name and how to fix it, or null when it is fine.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0 || name.Length > 200)
            return "must be 1 to 200 characters";
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains('/') || name.Contains('\\'))
            return "must not contain '..', '/' or '\\': a name is one folder under packages/";
        if (name.Any(char.IsUpper))
            return "must be lowercase (npm refuses capitals in new package names)";
        if (!Safe().IsMatch(name))
            return "use lowercase letters, digits, '-', '.' or '_', starting with a letter or digit";
        if (Reserved.Contains(name.Split('.')[0]))
            return $"'{name.Split('.')[0]}' is a reserved word (npm or Windows refuses it); choose another name";
        return null;
    }
}

using System.Text.RegularExpressions;

namespace Btm.Core.Model;

/// <summary>
/// The oldest glibc a linux glibc binary must run on ("2.17", as napi-rs and manylinux2014 target).
/// "host" turns the floor off: the host's own compiler and glibc, binaries for machines like this one.
/// </summary>
public static partial class GlibcFloor
{
    public const string Default = "2.17";
    public const string Host = "host";

    [GeneratedRegex(@"^2\.(1[7-9]|[2-9][0-9])$")]
    private static partial Regex Pattern();

    /// <summary>Null when <paramref name="value"/> is a floor zig and the GLIBC_ symbol check understand; else why not.</summary>
    public static string? Problem(string value) =>
        value == Host || Pattern().IsMatch(value) ? null : $"'{value}' is not a glibc version from 2.17 up (or \"host\")";

    /// <summary>Compares "2.17"-style versions; "host" is never a floor.</summary>
    public static int Compare(string a, string b) => Version.Parse(a).CompareTo(Version.Parse(b));

    public static string Max(string a, string b) => Compare(a, b) >= 0 ? a : b;
}

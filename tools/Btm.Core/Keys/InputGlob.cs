namespace Btm.Core.Keys;

/// <summary>
/// One btm.json input glob, matched per '/'-separated segment: `*` and `?` within a segment,
/// `**` as a whole segment for any number of folders (at the end: everything below). Matching
/// is ordinal, on every OS, so all checkouts agree on the input set.
/// </summary>
public sealed class InputGlob
{
    private readonly string[] _segments;

    public InputGlob(string pattern)
    {
        var normalized = pattern.Replace('\\', '/');
        while (normalized.StartsWith("./", StringComparison.Ordinal))
            normalized = normalized[2..];
        _segments = normalized.Split('/', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Whether the file at these relative path segments matches.</summary>
    public bool Matches(ReadOnlySpan<string> path) => Match(0, path);

    /// <summary>Whether some file below this folder could match: folders that cannot are not walked.</summary>
    public bool CouldMatchBelow(ReadOnlySpan<string> folder)
    {
        var p = 0;
        foreach (var segment in folder)
        {
            if (p == _segments.Length)
                return false;
            if (_segments[p] == "**")
                return true;
            if (!SegmentMatches(_segments[p], segment))
                return false;
            p++;
        }
        return p < _segments.Length;
    }

    private bool Match(int p, ReadOnlySpan<string> path)
    {
        while (p < _segments.Length)
        {
            if (_segments[p] == "**")
            {
                // A trailing ** is everything below: at least one more segment.
                if (p == _segments.Length - 1)
                    return path.Length > 0;
                for (var skip = 0; skip <= path.Length; skip++)
                {
                    if (Match(p + 1, path[skip..]))
                        return true;
                }
                return false;
            }
            if (path.Length == 0 || !SegmentMatches(_segments[p], path[0]))
                return false;
            p++;
            path = path[1..];
        }
        return path.Length == 0;
    }

    private static bool SegmentMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        // Iterative wildcard match with one backtrack point for the last '*'.
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}

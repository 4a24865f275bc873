using System.Text.RegularExpressions;

namespace Btm.Core.Model;

/// <summary>
/// SPDX license expressions (SPDX spec, annex D): license ids joined by AND, OR and WITH, with
/// parentheses. Checked for shape, so "GPL 2" or "mit or apache" are caught before they ship.
/// </summary>
public static partial class Spdx
{
    [GeneratedRegex(@"\(|\)|[A-Za-z0-9.+:-]+")]
    private static partial Regex Token();

    [GeneratedRegex(@"^(LicenseRef-[A-Za-z0-9.-]+|DocumentRef-[A-Za-z0-9.-]+:LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.-]*\+?)$")]
    private static partial Regex Id();

    /// <summary>Null when <paramref name="expression"/> is well formed; otherwise what is wrong.</summary>
    public static string? Problem(string expression)
    {
        if (Token().Replace(expression, "").Trim().Length > 0)
            return "it holds characters an SPDX expression cannot";
        var tokens = Token().Matches(expression).Select(m => m.Value).ToList();
        var position = 0;
        var problem = Expression(tokens, ref position);
        return problem ?? (position < tokens.Count ? $"unexpected '{tokens[position]}'" : null);
    }

    private static string? Expression(List<string> tokens, ref int position)
    {
        while (true)
        {
            if (Term(tokens, ref position) is { } problem)
                return problem;
            if (position < tokens.Count && tokens[position] is "AND" or "OR")
            {
                position++;
                continue;
            }
            if (position < tokens.Count && tokens[position] is "and" or "or" or "with")
                return $"operators are upper case ('{tokens[position].ToUpperInvariant()}')";
            return null;
        }
    }

    private static string? Term(List<string> tokens, ref int position)
    {
        if (position >= tokens.Count)
            return "it ends where a license id is expected";
        var token = tokens[position];
        if (token == "(")
        {
            position++;
            if (Expression(tokens, ref position) is { } inner)
                return inner;
            if (position >= tokens.Count || tokens[position] != ")")
                return "a '(' is not closed";
            position++;
            return null;
        }
        if (token is "AND" or "OR" or "WITH" or ")" || !Id().IsMatch(token))
            return $"'{token}' is not a license id";
        position++;
        if (position < tokens.Count && tokens[position] == "WITH")
        {
            position++;
            if (position >= tokens.Count || !Id().IsMatch(tokens[position]))
                return "WITH needs an exception id after it";
            position++;
        }
        return null;
    }
}

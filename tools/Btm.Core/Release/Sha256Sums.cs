using System.Text;

namespace Btm.Core.Release;

/// <summary>The SHA256SUMS file, in the format `sha256sum -c` reads: "&lt;hex&gt;  &lt;path&gt;" per line.</summary>
public static class Sha256Sums
{
    public static string Render(IEnumerable<(string Path, string Sha256)> entries)
    {
        var text = new StringBuilder();
        foreach (var (path, sha) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            text.Append(sha).Append("  ").Append(path).Append('\n');
        return text.ToString();
    }

    public static IReadOnlyList<(string Path, string Sha256)> Parse(string text, string file)
    {
        var result = new List<(string, string)>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            if (line.Length < 67 || line[64] != ' ' || line[65] != ' ' || !line[..64].All(Uri.IsHexDigit))
                throw new InvalidDataException($"{file}: line {lineNumber} is not '<sha256>  <path>'");
            result.Add((line[66..], line[..64]));
        }
        return result;
    }
}

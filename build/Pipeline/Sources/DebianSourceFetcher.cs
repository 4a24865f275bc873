using System.Text;
using Btm.Cake.Logging;
using Btm.Core.Model;

namespace Btm.Build.Pipeline.Sources;

/// <summary>
/// Takes a file of a Debian source package through this machine's own apt configuration: the
/// binary entries of /etc/apt/sources.list(.d) become deb-src entries in a private apt setup
/// (its own sources list, lists and cache under the download cache), then `apt-get source
/// --download-only`. The system's own apt state is never touched.
/// </summary>
public sealed class DebianSourceFetcher : ISourceFetcher
{
    private static readonly object Gate = new();

    public IReadOnlyList<string> Places(SourceSpec source) => source.Debian is { } package ? [$"debian source package {package}"] : [];

    public string? Fetch(BuildContext context, SourceSpec source, string place, string destination)
    {
        var aptGet = context.ToolLookup.Find("apt-get");
        if (aptGet is null)
            return "apt-get is not installed (not a Debian-based system)";
        lock (Gate)
        {
            var root = Path.Combine(context.Downloads.Root, "apt");
            var list = Path.Combine(root, "sources.list");
            var entries = DebSrcEntries();
            if (entries.Count == 0)
                return "no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d";
            Directory.CreateDirectory(Path.Combine(root, "lists", "partial"));
            Directory.CreateDirectory(Path.Combine(root, "cache", "archives", "partial"));
            var text = string.Join("\n", entries) + "\n";
            var stale = !File.Exists(list) || File.ReadAllText(list) != text
                || DateTime.UtcNow - File.GetLastWriteTimeUtc(list) > TimeSpan.FromDays(1);
            File.WriteAllText(list, text);
            string[] Options() =>
            [
                "-o", $"Dir::Etc::sourcelist={list}", "-o", "Dir::Etc::sourceparts=-", "-o", $"Dir::State::Lists={Path.Combine(root, "lists")}",
                "-o", $"Dir::Cache={Path.Combine(root, "cache")}", "-q",
                // As root, apt would hand the download to its _apt user, who cannot write to our folder.
                .. (Environment.UserName == "root" ? new[] { "-o", "APT::Sandbox::User=root" } : []),
            ];
            var work = Path.Combine(root, "work-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                for (var attempt = 0; attempt < 2; attempt++)
                {
                    if (stale || attempt == 1)
                    {
                        context.Info("reading Debian's source indexes (apt-get update, private lists)");
                        var (updateExit, updateOutput) = ToolProbe.RunIn(work, TimeSpan.FromMinutes(10), aptGet, [.. Options(), "update"]);
                        if (updateExit != 0)
                            return $"apt-get update failed: {Tail(updateOutput)}";
                        File.SetLastWriteTimeUtc(list, DateTime.UtcNow);
                    }
                    context.Info($"fetching {source.File} from Debian's source package {source.Debian}");
                    var (exit, output) = ToolProbe.RunIn(work, TimeSpan.FromMinutes(10), aptGet, [.. Options(), "source", "--download-only", source.Debian!]);
                    var file = Path.Combine(work, source.File);
                    if (exit == 0 && File.Exists(file))
                    {
                        File.Move(file, destination, overwrite: true);
                        return null;
                    }
                    if (exit == 0)
                        return $"the source package has no file {source.File} (it has: {string.Join(", ", Directory.GetFiles(work).Select(Path.GetFileName))})";
                    if (attempt == 1)
                        return $"apt-get source failed: {Tail(output)}";
                }
                return "unreachable";
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static string Tail(string output) => string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));

    /// <summary>Every binary archive this machine uses, as a one-line deb-src entry.</summary>
    private static List<string> DebSrcEntries()
    {
        var entries = new List<string>();
        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list"))
            files.Add("/etc/apt/sources.list");
        if (Directory.Exists("/etc/apt/sources.list.d"))
            files.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            if (file.EndsWith(".sources", StringComparison.Ordinal))
                entries.AddRange(FromDeb822(File.ReadAllText(file)));
            else if (file.EndsWith(".list", StringComparison.Ordinal) || file == "/etc/apt/sources.list")
            {
                foreach (var line in File.ReadLines(file).Select(l => l.Trim()))
                {
                    if (line.StartsWith("deb ", StringComparison.Ordinal))
                        entries.Add("deb-src " + line[4..]);
                }
            }
        }
        return entries.Distinct().ToList();
    }

    private static IEnumerable<string> FromDeb822(string text)
    {
        foreach (var stanza in text.Replace("\r", "").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? last = null;
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith('#'))
                    continue;
                if ((line.StartsWith(' ') || line.StartsWith('\t')) && last is not null)
                {
                    fields[last] += "\n" + line.Trim();
                    continue;
                }
                var colon = line.IndexOf(':');
                if (colon <= 0)
                    continue;
                last = line[..colon].Trim();
                fields[last] = line[(colon + 1)..].Trim();
            }
            if (!fields.TryGetValue("Types", out var types) || !types.Split(' ').Contains("deb")
                || !fields.TryGetValue("URIs", out var uris) || !fields.TryGetValue("Suites", out var suites))
                continue;
            if (fields.TryGetValue("Enabled", out var enabled) && enabled.Equals("no", StringComparison.OrdinalIgnoreCase))
                continue;
            var options = new StringBuilder();
            if (fields.TryGetValue("Signed-By", out var signedBy) && !signedBy.Contains('\n'))
                options.Append($"[signed-by={signedBy}] ");
            var components = fields.GetValueOrDefault("Components", "");
            foreach (var uri in uris.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var suite in suites.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    yield return $"deb-src {options}{uri} {suite} {components}".TrimEnd();
            }
        }
    }
}

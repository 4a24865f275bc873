using System.Text;
using System.Text.Json;
using Btm.Core.IO;

namespace Btm.Build.Publishing;

/// <summary>
/// .btm/publish-journal.json exists exactly while a Publish is moving a public tag. A run that
/// finds it knows the last one was stopped between tag moves and says so in its first lines.
/// </summary>
public static class PublishJournal
{
    private static string PathIn(string repoRoot) => Path.Combine(repoRoot, ".btm", "publish-journal.json");

    public static void Write(BuildContext context, string registry, string version, string tag)
    {
        var path = PathIn(context.RepoRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["registry"] = registry, ["version"] = version, ["tag"] = tag, ["started"] = DateTime.UtcNow.ToString("u"),
        });
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(json + "\n"));
    }

    public static void Clear(BuildContext context) => File.Delete(PathIn(context.RepoRoot));

    /// <summary>The warning for an interrupted tag move, or null when the last Publish finished.</summary>
    public static string? Interrupted(string repoRoot)
    {
        var path = PathIn(repoRoot);
        if (!File.Exists(path))
            return null;
        try
        {
            var entry = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? [];
            var registry = entry.GetValueOrDefault("registry", "?");
            var flag = registry == "local" ? "" : $" --registry={registry}";
            return $"the Publish of {entry.GetValueOrDefault("version", "?")} to {registry} (started {entry.GetValueOrDefault("started", "?")}) " +
                $"was stopped while moving {entry.GetValueOrDefault("tag", "?")}: that registry may hold a mixed release. " +
                $"Repair: ./build.sh --target=Publish{flag} again; check: ./build.sh --target=Verify{flag}";
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return $"{path} is unreadable ({e.Message}): a Publish was stopped while moving a tag; run Publish again";
        }
    }
}

using System.Text.Json.Nodes;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// A release as it stands on a registry (Verify --registry): every package of the manifest there
/// with the manifest's integrity, the tag on one version for all of them, no tag move left
/// unfinished, and every version any wrapper tag points at complete (each platform package it
/// names present at that version).
/// </summary>
public static class RegistryReleaseCheck
{
    public static async Task<List<string>> RunAsync(RegistryClient registry, ReleaseManifest manifest, string tag)
    {
        var problems = new List<string>();
        var packuments = await Task.WhenAll(manifest.Packages.Select(async p => (p, Doc: await registry.PackumentAsync(p.Name))));
        var onTag = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (p, doc) in packuments)
        {
            var integrity = doc?["versions"]?[p.Version]?["dist"]?["integrity"]?.GetValue<string>();
            if (integrity is null)
                problems.Add($"{p.Name}@{p.Version} is not on {registry.Url}");
            else if (integrity != p.Integrity)
                problems.Add($"{p.Name}@{p.Version} on {registry.Url} has integrity {integrity}; the manifest has {p.Integrity}");
            onTag[p.Name] = Tags(doc).GetValueOrDefault(tag);
        }
        var distinct = onTag.Values.Distinct().ToList();
        if (distinct.Count > 1)
        {
            problems.Add($"{tag} is mixed: " + string.Join(", ", onTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} → {t.Value ?? "unset"}")) +
                "; run Publish of the release that was interrupted again to complete it");
        }
        var claim = packuments.Single(x => x.p == PublishRun.ClaimPackage(manifest)).Doc;
        if (Tags(claim).TryGetValue(PublishRun.MovingTagPrefix + tag, out var moving))
            problems.Add($"a release of {moving} started moving {tag} and has not finished (stopped, or running now); run its Publish again");

        foreach (var (wrapper, doc) in packuments.Where(x => x.p.Kind == ManifestPackage.WrapperKind))
        {
            foreach (var (name, version) in Tags(doc).Where(t => !t.Key.StartsWith("btm-", StringComparison.Ordinal)))
                problems.AddRange(await IncompleteAsync(registry, wrapper.Name, name, version, doc!));
        }
        return problems;
    }

    /// <summary>Every optional dependency of wrapper@version (its platform packages) must exist at the pinned version.</summary>
    private static async Task<List<string>> IncompleteAsync(RegistryClient registry, string wrapper, string tag, string version, JsonObject doc)
    {
        var problems = new List<string>();
        if (doc["versions"]?[version]?["optionalDependencies"] is not JsonObject deps)
            return problems;
        foreach (var (dependency, range) in deps)
        {
            var pinned = range?.GetValue<string>();
            var other = await registry.PackumentAsync(dependency);
            if (pinned is null || other?["versions"]?[pinned] is null)
                problems.Add($"{wrapper}: {tag} points at {version}, whose platform package {dependency}@{pinned} is not on {registry.Url}");
        }
        return problems;
    }

    private static Dictionary<string, string> Tags(JsonObject? doc) =>
        doc?["dist-tags"] is JsonObject tags
            ? tags.Where(t => t.Value is not null).ToDictionary(t => t.Key, t => t.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
}

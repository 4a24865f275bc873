using Btm.Build.Host;
using Btm.Cake.Logging;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Release;

/// <summary>
/// A release holds every platform its packages declare: a version is immutable, so a wrapper
/// published with one platform can never gain the other six. --partial releases fewer on purpose,
/// said loudly and recorded in the manifest.
/// </summary>
public static class ReleaseCompleteness
{
    /// <summary>What each component lacks (empty when complete); refuses an incomplete release without --partial.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Check(BuildContext context, IEnumerable<(PackageManifest Package, PlatformId Platform)> present)
    {
        var missing = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var group in present.GroupBy(p => p.Package.Name))
        {
            var package = group.First().Package;
            var have = group.Select(p => p.Platform).ToHashSet();
            var lacks = BuildContext.DeclaredPlatforms(package).Where(p => !have.Contains(p)).Select(p => p.ToString()).ToList();
            if (lacks.Count > 0)
                missing[package.Name] = lacks;
        }
        if (missing.Count == 0)
            return missing;
        var list = string.Join("; ", missing.Select(m => $"{m.Key} lacks {string.Join(", ", m.Value)}"));
        if (!context.Options.Partial)
            throw new UsageException($"the release is incomplete: {list}. A published version can never gain a platform (versions are immutable), " +
                "so a wrapper is released only with every platform its btm.json \"targets\" declares (default: the seven release targets). " +
                "Fix: --platform=all (what --target=Release does by itself), narrow the package's \"targets\", or pass --partial to release fewer on purpose");
        context.Warn($"PARTIAL RELEASE (--partial): {list}. These versions can never gain those platforms; the manifest records what is missing");
        return missing;
    }
}

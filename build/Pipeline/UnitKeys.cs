using System.Collections.Concurrent;
using Btm.Core.Keys;

namespace Btm.Build.Pipeline;

/// <summary>Each unit's cache key, computed once per run; dependency keys come from the unit's dependency units.</summary>
public sealed class UnitKeys(string version, Func<string, string?> environment)
{
    private readonly ConcurrentDictionary<BuildUnit, Lazy<KeyComponents>> _keys = new();
    private readonly Lazy<IReadOnlyDictionary<string, string>> _environment = new(() => BuildEnvironment.Capture(environment));

    public KeyComponents For(BuildUnit unit) => _keys.GetOrAdd(unit, u => new Lazy<KeyComponents>(() => Compute(u))).Value;

    private KeyComponents Compute(BuildUnit unit)
    {
        var deps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dep in unit.Dependencies)
            deps[dep.Package.Name] = For(dep).Key;
        var package = unit.Package;
        // Sources enter by their sha256 (btm.json's bytes are in the key); patches by content, inputs or not.
        var inputs = InputSet.Collect(package.Directory, package.Inputs)
            .Union(package.Sources.SelectMany(s => s.Patches), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var request = new KeyRequest(package.Name, package.Directory, inputs,
            package.ManifestPath, unit.Identity.RenderKey(), _environment.Value, package.VersionOr(version), unit.Mode.Id, unit.Platform, deps);
        return CacheKey.Compute(request);
    }
}

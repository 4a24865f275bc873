using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>Every builder BTM knows, by the name btm.json uses.</summary>
public sealed class BuilderRegistry
{
    /// <summary>The registration list: a new builder is one file plus one line here.</summary>
    public static readonly BuilderRegistry Default = new(
    [
        new CMakePackageBuilder(),
        new MakePackageBuilder(),
        new NodeSeaPackageBuilder(),
        new AutotoolsPackageBuilder(),
        new GoPackageBuilder(),
        new BunPackageBuilder(),
        new PspPackageBuilder(),
    ]);

    private readonly Dictionary<string, IPackageBuilder> _byName = new(StringComparer.Ordinal);

    public BuilderRegistry(IEnumerable<IPackageBuilder> builders)
    {
        foreach (var builder in builders)
        {
            if (!_byName.TryAdd(builder.Name, builder))
                throw new ArgumentException($"two builders are named '{builder.Name}'", nameof(builders));
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IEnumerable<IPackageBuilder> All => _byName.Values;

    /// <summary>What btm.json's reader and the schema need of each builder.</summary>
    public IReadOnlyCollection<BuilderSpec> Specs => _byName.Values.Select(b => new BuilderSpec(b.Name, b.Description, b.Section)).ToList();

    /// <summary>The package's builder; the manifest reader has already checked the name against <see cref="Names"/>.</summary>
    public IPackageBuilder For(PackageManifest package) =>
        _byName.TryGetValue(package.Builder, out var builder)
            ? builder
            : throw new ConfigException(package.ManifestPath, "builder", $"unknown builder '{package.Builder}'",
                $"use one of: {string.Join(", ", Names)}");
}

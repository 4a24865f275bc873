using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Core.Keys;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core;

namespace Btm.Build;

/// <summary>The typed context every task receives: options, the repo model and shared state.</summary>
public sealed class BuildContext : CakeContextAdapter
{
    private readonly Lazy<RepoSettings> _settings;
    private readonly Lazy<PackageGraph> _graph;
    private readonly Dictionary<string, string> _identities = new(StringComparer.Ordinal);
    private readonly Dictionary<BuildUnit, KeyComponents> _keys = [];

    public BuildContext(ICakeContext context, HostOptions options, string repoRoot, PlatformId host, IReadOnlyList<TaskInfo> tasks)
        : base(context)
    {
        Options = options;
        RepoRoot = repoRoot;
        Host = host;
        Tasks = tasks;
        Toolchains = new ToolchainResolver(host, name => context.Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null);
        _settings = new Lazy<RepoSettings>(() =>
            RepoSettingsReader.Load(Path.Combine(repoRoot, RepoSettings.FileName), RepoSettings.FileName));
        _graph = new Lazy<PackageGraph>(() => PackageGraph.Load(repoRoot));
        Versions = new ToolVersionCache(Path.Combine(repoRoot, ".btm", "cache", "tool-versions.json"));
    }

    public ToolVersionCache Versions { get; }

    public HostOptions Options { get; }
    public string RepoRoot { get; }
    public PlatformId Host { get; }
    public IReadOnlyList<TaskInfo> Tasks { get; }
    public ToolchainResolver Toolchains { get; }
    public BuildSummary Summary { get; } = new();

    public RepoSettings Settings => _settings.Value;
    public PackageGraph Graph => _graph.Value;

    /// <summary>The packages --package names and their dependencies, dependencies first.</summary>
    public IReadOnlyList<PackageManifest> SelectedPackages => Graph.Select(Options.Packages);

    /// <summary>Units whose toolchain is present, in dependency order; set by CheckTools.</summary>
    public IReadOnlyList<BuildUnit> Units { get; set; } = [];

    /// <summary>Loads cake.config and every btm.json now, so bad input stops the run before any work.</summary>
    public void LoadModel()
    {
        _ = Settings;
        _ = Graph;
        _ = SelectedPackages;
    }

    /// <summary>The platforms a package is built for in this run.</summary>
    public IReadOnlyList<PlatformId> RequestedPlatforms(PackageManifest package)
    {
        if (Options.AllPlatforms)
            return package.Targets ?? Settings.ResolveDefaultTargets(Host);
        return Options.Platforms.Count > 0 ? Options.Platforms : Settings.ResolveDefaultTargets(Host);
    }

    public IPackageBuilder BuilderFor(PackageManifest package) => package.Builder switch
    {
        BuilderKind.CMake => new CMakePackageBuilder(),
        BuilderKind.Make => new MakePackageBuilder(),
        _ => throw new InvalidOperationException($"no builder for {package.Builder}"),
    };

    /// <summary>
    /// Compiler path and version output, builder version and strip path: what makes two machines'
    /// outputs differ even with identical sources. Probed once per run per toolchain.
    /// </summary>
    public string ToolchainIdentity(BuildUnit unit)
    {
        var builder = BuilderFor(unit.Package).ToolCommand;
        var cacheKey = $"{unit.Platform}|{builder}";
        lock (_identities)
        {
            if (_identities.TryGetValue(cacheKey, out var known))
                return known;
            var t = unit.Toolchain;
            var lines = new List<string>();
            foreach (var (role, command) in new[] { ("compiler", t.CCompiler), ("builder", builder), ("strip", t.Strip) })
            {
                var path = ToolProbe.FindOnPath(command);
                lines.Add($"{role}: {path ?? command + " (not found)"}");
                if (path is not null && role != "strip")
                    lines.Add(Versions.VersionOutput(path));
            }
            if (t.Emulator is { Count: > 0 })
                lines.Add($"emulator: {string.Join(' ', t.Emulator)}");
            var identity = string.Join('\n', lines);
            _identities[cacheKey] = identity;
            return identity;
        }
    }

    /// <summary>The unit's key; dependency keys come from the same platform and mode.</summary>
    public KeyComponents KeyFor(BuildUnit unit)
    {
        if (_keys.TryGetValue(unit, out var known))
            return known;
        var deps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dep in unit.Package.AllDependencies)
        {
            var depUnit = Units.FirstOrDefault(u => u.Package.Name == dep && u.Platform == unit.Platform)
                ?? throw new InvalidOperationException($"{unit}: dependency {dep} has no unit for {unit.Platform}");
            deps[dep] = KeyFor(depUnit).Key;
        }
        var package = unit.Package;
        var request = new KeyRequest(package.Name, package.Directory, InputSet.Collect(package.Directory, package.Inputs),
            package.ManifestPath, ToolchainIdentity(unit),
            BuildEnvironment.Capture(name => Environment.GetEnvironmentVariable(name)),
            Settings.Version, unit.Mode, unit.Platform, deps);
        var key = CacheKey.Compute(request);
        _keys[unit] = key;
        return key;
    }
}

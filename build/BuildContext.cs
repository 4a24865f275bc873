using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Pipeline.RemoteCache;
using Btm.Build.Pipeline.Sources;
using Btm.Cake.Hosting;
using Btm.Core.Checkpoints;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core;

namespace Btm.Build;

/// <summary>
/// The typed context every task receives: the options, the repo model, this run's units and
/// summary, and the services tasks use (tool lookup, builders, toolchains, store, keys, pipeline).
/// The services are separate classes; none of them calls back into the context.
/// </summary>
public sealed class BuildContext : CakeContextAdapter
{
    private readonly Lazy<RepoSettings> _settings;
    private readonly Lazy<PackageGraph> _graph;
    private readonly Lazy<ToolchainResolver> _toolchains;
    private readonly Lazy<UnitKeys> _keys;
    private readonly Lazy<UnitPipeline> _pipeline;
    private readonly Lazy<ICheckpointStore> _store;

    public BuildContext(ICakeContext context, HostOptions options, string repoRoot, PlatformId host, IReadOnlyList<TaskInfo> tasks,
        BuilderRegistry? builders = null)
        : base(context)
    {
        Options = options;
        RepoRoot = repoRoot;
        Host = host;
        Tasks = tasks;
        Builders = builders ?? BuilderRegistry.Default;
        ToolLookup = new ToolLookup(context.Tools);
        Scheduler = new UnitScheduler(options.Jobs, context);
        Func<string, string?> environment = name => context.Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        _store = new Lazy<ICheckpointStore>(() =>
            RemoteCacheSettings.Resolve(options.RemoteCache, Settings, environment) is { } remote
                ? new TieredCheckpointStore(this, remote)
                : new LocalCheckpointStore());
        _settings = new Lazy<RepoSettings>(() =>
            RepoSettingsReader.Load(Path.Combine(repoRoot, RepoSettings.FileName), RepoSettings.FileName));
        _graph = new Lazy<PackageGraph>(() => PackageGraph.Load(repoRoot, Builders.Specs, Settings.PackageFolders));
        _toolchains = new Lazy<ToolchainResolver>(() =>
            new ToolchainResolver(host, ToolchainTable.All, Settings.Toolchains, environment, FindTool, Path.Combine(repoRoot, ".btm", "toolchains")));
        _keys = new Lazy<UnitKeys>(() => new UnitKeys(Settings.Version, environment));
        _pipeline = new Lazy<UnitPipeline>(() => new UnitPipeline(this, new StageExecutor(this, Store, Keys, Summary, Options.Force)));
        Versions = new ToolVersionCache(Path.Combine(repoRoot, ".btm", "cache", "tool-versions.json"));
        Downloads = DownloadCache.FromEnvironment(environment);
        _zig = new Lazy<string>(() => SharedZig.Resolve(repoRoot, Path.Combine(DownloadCache.CacheHome(environment), "tools")));
        WorkTrees = new WorkTrees(options.Force);
    }

    public HostOptions Options { get; }
    public string RepoRoot { get; }
    public PlatformId Host { get; }
    public IReadOnlyList<TaskInfo> Tasks { get; }
    public BuildSummary Summary { get; } = new();

    public BuilderRegistry Builders { get; }
    public ToolLookup ToolLookup { get; }
    public ToolVersionCache Versions { get; }
    public UnitScheduler Scheduler { get; }

    /// <summary>
    /// A program BTM runs: bun is the one package-lock.json pins (a build's key names its version,
    /// so a bun on PATH does not replace it); zig is found on PATH, else the pinned one, run from its per-machine copy (SharedZig).
    /// </summary>
    public string? FindTool(string name)
    {
        if (name == "bun")
        {
            var bun = Path.Combine(RepoRoot, "node_modules", "bun", "bin", "bun.exe");
            return File.Exists(bun) ? bun : null;
        }
        if (ToolLookup.Find(name) is { } found)
            return found;
        return name == "zig" && File.Exists(Path.Combine(RepoRoot, SharedZig.PackagePath, "zig")) ? _zig.Value : null;
    }

    private readonly Lazy<string> _zig;

    /// <summary>The content-addressed cache of pinned source archives, shared by every clone.</summary>
    public DownloadCache Downloads { get; }

    public WorkTrees WorkTrees { get; }

    /// <summary>The version a package ships as: its btm.json "version", else cake.config's.</summary>
    public string VersionOf(PackageManifest package) => package.VersionOr(Settings.Version);

    /// <summary>Where checkpoints are probed, restored and saved.</summary>
    public ICheckpointStore Store => _store.Value;

    /// <summary>The remote tier, when one is configured and this run has used the store.</summary>
    public TieredCheckpointStore? RemoteCache => _store.IsValueCreated ? _store.Value as TieredCheckpointStore : null;

    public RepoSettings Settings => _settings.Value;
    public PackageGraph Graph => _graph.Value;
    public ToolchainResolver Toolchains => _toolchains.Value;
    public UnitKeys Keys => _keys.Value;
    public UnitPipeline Pipeline => _pipeline.Value;

    /// <summary>The per-unit steps of this run's tasks after Build (Test, Package).</summary>
    public UnitSteps Steps => _steps ??= new UnitSteps(this);

    private UnitSteps? _steps;

    /// <summary>Other platforms' tarballs this run already ran, by sha256: Verify does not run the same bytes twice.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Tasks.VerifyTask.TarballRun> TarballRuns { get; } = new(StringComparer.Ordinal);

    /// <summary>The release Package is packing, begun when the first unit's binaries may be final; null outside a Package run.</summary>
    public Release.ReleasePacking? Packing { get; set; }

    /// <summary>The packages --package names and their dependencies, dependencies first.</summary>
    public IReadOnlyList<PackageManifest> SelectedPackages => Graph.Select(Options.Packages);

    /// <summary>The run's units and what was left out, made when the model loads, before any task runs.</summary>
    public Plan Plan => _plan ??= Plan.Make(this);

    private Plan? _plan;

    /// <summary>
    /// Makes the plan again: toolchains resolve against what is installed (zig's wrapper scripts,
    /// the emulators found), so CheckTools re-plans after it installs tools.
    /// </summary>
    public void Replan() => _plan = Plan.Make(this);

    /// <summary>The planned units CheckTools kept (their tools present and proved), in dependency order.</summary>
    public IReadOnlyList<BuildUnit> Units { get; set; } = [];

    /// <summary>Loads cake.config and every btm.json now, so bad input stops the run before any work.</summary>
    public void LoadModel()
    {
        ToolchainResolver.Validate(Settings.Toolchains, ToolchainTable.All, Host);
        _ = Store;
        _ = Graph;
        _ = SelectedPackages;
        _ = Plan;
    }

    /// <summary>
    /// The oldest glibc a package's linux glibc binaries run on: its btm.json "glibc", else the newer
    /// of cake.config's GlibcFloor and what its builder's runtime needs (Node 20 needs 2.28);
    /// "host" when the floor is off.
    /// </summary>
    public string GlibcFloor(PackageManifest package, IPackageBuilder builder)
    {
        if (package.Glibc is { } own)
            return own;
        var repo = Settings.GlibcFloor;
        if (builder.RuntimeGlibcFloor is not { } runtime)
            return repo;
        return repo == Core.Model.GlibcFloor.Host ? runtime : Core.Model.GlibcFloor.Max(repo, runtime);
    }

    /// <summary>The platforms a package is released for: its btm.json "targets", else the seven release targets.</summary>
    public static IReadOnlyList<PlatformId> DeclaredPlatforms(PackageManifest package) => package.Targets ?? PlatformId.ReleaseTargets;

    /// <summary>The platforms a package is built for in this run.</summary>
    public IReadOnlyList<PlatformId> RequestedPlatforms(PackageManifest package)
    {
        if (Options.AllPlatforms)
            return DeclaredPlatforms(package);
        return Options.Platforms.Count > 0 ? Options.Platforms : Settings.ResolveDefaultTargets(Host);
    }
}

using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>One component, as described by <c>packages/&lt;name&gt;/btm.json</c>.</summary>
public sealed record PackageManifest(
    string Name,
    string Description,
    string Builder,
    IReadOnlyList<PlatformId>? Targets,
    IReadOnlyList<string> Binaries,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> DependsOn,
    IReadOnlyList<ToolRequirement> Tools,
    bool Test,
    bool DebugBinaries,
    bool Compress,
    bool Publish,
    string Directory,
    string ManifestPath)
{
    /// <summary>The package's own version (btm.json "version"); null: the repo's.</summary>
    public string? Version { get; init; }

    /// <summary>SPDX license expression (btm.json "license"); null: the repo's.</summary>
    public string? License { get; init; }

    /// <summary>btm.json "glibc": this package's glibc floor ("2.28", "host"); null: its builder's or cake.config's.</summary>
    public string? Glibc { get; init; }

    public IReadOnlyList<SourceSpec> Sources { get; init; } = [];

    /// <summary>What the builder's own btm.json section says (<see cref="BuilderSection"/>); null for a builder without one.</summary>
    public object? BuilderOptions { get; init; }

    /// <summary>The builder's options as its own type; a builder asks only for the type its section reads.</summary>
    public T OptionsOf<T>() where T : class =>
        BuilderOptions as T ?? throw new InvalidOperationException($"{ManifestPath}: builder {Builder} has options {BuilderOptions?.GetType().Name ?? "(none)"}, not {typeof(T).Name}");

    /// <summary>Produced files (globs relative to the build tree) → where they ship in the platform package.</summary>
    public IReadOnlyDictionary<string, string> Install { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ShippedFile> Files { get; init; } = [];

    public VerifyProbe Verify { get; init; } = VerifyProbe.Default;

    /// <summary>btm.json "installers"; null: the package ships npm packages only.</summary>
    public InstallerOptions? Installers { get; init; }

    /// <summary>btm.json "budgets"; null: none (Verify still prints what it measured).</summary>
    public Budget.Set? Budgets { get; init; }

    /// <summary>A compressed binary ships only when it is at least this many percent smaller.</summary>
    public int CompressMinSaving { get; init; } = 10;

    /// <summary>The version this package ships as: its own, else the repo's.</summary>
    public string VersionOr(string repoVersion) => Version ?? repoVersion;

    public const string FileName = "btm.json";

    /// <summary>Inputs used when btm.json does not list its own: everything but build output.</summary>
    public static readonly IReadOnlyList<string> DefaultInputs = ["**/*"];

    /// <summary>The package whose stub makes compressed binaries; every compressing package needs it.</summary>
    public const string StubPackage = "bin-stub";

    /// <summary>The launcher of signed self-contained packages (docs/psp-format.md); the btm tool carries it like the stub.</summary>
    public const string PspLauncherPackage = "psp-launcher";

    /// <summary>The builder of signed self-contained packages, whose launcher comes from <see cref="PspLauncherPackage"/>.</summary>
    public const string PspBuilder = "psp";

    /// <summary>dependsOn plus what the settings imply: bin-stub for a package that sets "compress", psp-launcher for a psp package, and the packages its builder's section names.</summary>
    public IReadOnlyList<string> AllDependencies
    {
        get
        {
            var all = DependsOn.ToList();
            if (Compress && Name != StubPackage && !all.Contains(StubPackage))
                all.Add(StubPackage);
            if (Builder == PspBuilder && !all.Contains(PspLauncherPackage))
                all.Add(PspLauncherPackage);
            if (BuilderOptions is IImpliedDependencies implied)
                all.AddRange(implied.Dependencies.Select(d => d.Package).Where(d => !all.Contains(d)).Distinct());
            return all;
        }
    }
}

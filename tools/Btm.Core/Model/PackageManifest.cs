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
    public const string FileName = "btm.json";

    /// <summary>Inputs used when btm.json does not list its own: everything but build output.</summary>
    public static readonly IReadOnlyList<string> DefaultInputs = ["**/*"];

    /// <summary>The package whose stub makes compressed binaries; every compressing package needs it.</summary>
    public const string StubPackage = "bin-stub";

    /// <summary>dependsOn plus what the settings imply: bin-stub for a package that sets "compress".</summary>
    public IReadOnlyList<string> AllDependencies =>
        Compress && Name != StubPackage && !DependsOn.Contains(StubPackage) ? [.. DependsOn, StubPackage] : DependsOn;
}

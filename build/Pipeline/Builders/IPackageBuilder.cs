using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>
/// Turns a package's sources into its binaries for one unit, and runs its tests. A builder is
/// registered once in <see cref="BuilderRegistry.Default"/>; its name is the btm.json "builder"
/// value and its description is that value's entry in docs/schemas/btm.schema.json.
/// </summary>
public interface IPackageBuilder
{
    /// <summary>The btm.json "builder" value.</summary>
    string Name { get; }

    /// <summary>What the package must contain for this builder; the schema's description says the same.</summary>
    string Description { get; }

    /// <summary>The program this builder drives; CheckTools checks it and it is part of the toolchain identity.</summary>
    ToolRequirement Tool { get; }

    /// <summary>False for builders that use no C toolchain (CheckTools then does not ask for one).</summary>
    bool NeedsCompiler => true;

    /// <summary>The glibc the runtime this builder ships needs ("2.28" for Node 20), or null for none.</summary>
    string? RuntimeGlibcFloor => null;

    /// <summary>Runtimes this builder puts inside the package (Node for node-sea), with their licences.</summary>
    IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit) => [];

    /// <summary>Why the Strip stage must leave this builder's binaries as built, or null to strip them.</summary>
    string? KeepUnstripped => null;

    /// <summary>Builds, then copies each declared binary into <paramref name="outDir"/>.</summary>
    void Compile(BuildContext context, BuildUnit unit, string outDir);

    /// <summary>Runs the package's tests; returns a one-line result for the log.</summary>
    string Test(BuildContext context, BuildUnit unit);
}

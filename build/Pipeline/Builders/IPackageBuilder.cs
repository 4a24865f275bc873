using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Turns a package's sources into its binaries for one unit, and runs its tests. A builder is
/// one file plus one line in <see cref="BuilderRegistry.Default"/>: its name is the btm.json
/// "builder" value, its description that value's entry in docs/schemas/btm.schema.json, and its
/// <see cref="Section"/> (schema and reader) its own btm.json section.
/// </summary>
public interface IPackageBuilder
{
    /// <summary>The btm.json "builder" value.</summary>
    string Name { get; }

    /// <summary>What the package must contain for this builder; the schema's description says the same.</summary>
    string Description { get; }

    /// <summary>The builder's own btm.json section, read before any task runs; null for none.</summary>
    BuilderSection? Section => null;

    /// <summary>The program this builder drives; CheckTools checks it and it is part of the toolchain identity.</summary>
    ToolRequirement Tool { get; }

    /// <summary>False for builders that use no C toolchain (CheckTools then does not ask for one).</summary>
    bool NeedsCompiler => true;

    /// <summary>The glibc the runtime this builder ships needs ("2.28" for Node 20), or null for none.</summary>
    string? RuntimeGlibcFloor => null;

    /// <summary>Runtimes this builder puts inside the package (Node for node-sea), with their licences.</summary>
    IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit) => [];

    /// <summary>Shared libraries the shipped binaries load from the user's system on <paramref name="platform"/> (Bun's musl runtimes: libstdc++, libgcc_s).</summary>
    IReadOnlyList<string> SystemLibraries(PlatformId platform) => [];

    /// <summary>
    /// Programs a shipped binary starts from inside itself (a psp's entry point), written under
    /// <paramref name="scratch"/>: the libraries they load from the system are the binary's runtime
    /// dependencies too, and Verify's isolated root must hold them.
    /// </summary>
    IReadOnlyList<string> InnerPrograms(string binary, string scratch) => [];

    /// <summary>Why the Strip stage must leave this builder's binaries as built, or null to strip them.</summary>
    string? KeepUnstripped => null;

    /// <summary>
    /// Builds the unit in its work tree and says where the results are. The Compile stage around
    /// it does the rest for every builder alike: it watches the package folder, then collects the
    /// declared binaries, "install" and "files" entries and the licence texts (<see cref="UnitOutputs"/>).
    /// </summary>
    BuildResult Build(BuildContext context, BuildUnit unit);

    /// <summary>
    /// Runs the package's tests; returns what ran in one line, or <see cref="TestResult.NotRun"/>
    /// with why no test ran: the unit's test is then recorded as skipped, never passed.
    /// </summary>
    TestResult Test(BuildContext context, BuildUnit unit);
}

/// <summary>A unit's tests: passed (<see cref="Ran"/>) with what ran, or not run with why.</summary>
public sealed record TestResult(bool Ran, string Detail)
{
    public static TestResult Passed(string detail) => new(true, detail);

    public static TestResult NotRun(string why) => new(false, why);
}

/// <summary>Where a builder's build left its results.</summary>
/// <param name="BinaryDirs">Where the executables are (CMake's runtime output folder, make's BTM_OUT_DIR, a staged usr/bin).</param>
/// <param name="BuildTree">Where "install" globs are resolved (the CMake build folder, the make source copy, the install stage).</param>
/// <param name="SourceTree">Where sources unpacked, for "files" and the sources' licence texts; null: the package folder, with no sources.</param>
public sealed record BuildResult(IReadOnlyList<string> BinaryDirs, string BuildTree, string? SourceTree)
{
    /// <summary>Licence texts of the runtimes the builder put inside (node-sea's Node), by component name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RuntimeLicences { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

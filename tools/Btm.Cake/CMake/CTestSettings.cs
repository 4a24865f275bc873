using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

/// <summary>Settings for <c>ctest --test-dir &lt;build&gt;</c>.</summary>
public sealed class CTestSettings : ToolSettings
{
    public required DirectoryPath TestDirectory { get; init; }
    public bool OutputOnFailure { get; init; } = true;

    /// <summary>--parallel N; 0 means one per core.</summary>
    public int ParallelJobs { get; init; } = 0;

    /// <summary>--build-config for multi-config generators.</summary>
    public string? Configuration { get; init; }

    /// <summary>Fail when the project defines no test, instead of passing vacuously.</summary>
    public bool FailWhenNoTests { get; init; } = true;
}

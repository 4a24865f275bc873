using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

/// <summary>Settings for <c>cmake --build &lt;build&gt;</c>.</summary>
public sealed class CMakeBuildSettings : ToolSettings
{
    public required DirectoryPath BuildPath { get; init; }

    /// <summary>--parallel N; null leaves it to the generator, 0 means one job per core.</summary>
    public int? ParallelJobs { get; init; } = 0;

    /// <summary>--config, for multi-config generators.</summary>
    public string? Configuration { get; init; }

    /// <summary>--target entries; empty builds the default target.</summary>
    public IList<string> Targets { get; init; } = [];

    public bool CleanFirst { get; init; }
}

using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

/// <summary>Settings for <c>cmake -S &lt;source&gt; -B &lt;build&gt;</c>.</summary>
public sealed class CMakeConfigureSettings : ToolSettings
{
    public required DirectoryPath SourcePath { get; init; }
    public required DirectoryPath BuildPath { get; init; }

    /// <summary>-G; null lets CMake pick its default.</summary>
    public string? Generator { get; init; }

    /// <summary>-DCMAKE_TOOLCHAIN_FILE; set for cross builds.</summary>
    public FilePath? ToolchainFile { get; init; }

    /// <summary>-DCMAKE_BUILD_TYPE (Debug, Release, RelWithDebInfo, MinSizeRel).</summary>
    public string? BuildType { get; init; }

    /// <summary>-D&lt;name&gt;=&lt;value&gt; entries, rendered in name order so the command line is stable.</summary>
    public IDictionary<string, string> CacheVariables { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Further arguments, passed as they are after the cache variables.</summary>
    public IList<string> ExtraArguments { get; init; } = [];
}

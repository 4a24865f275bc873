using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Make;

/// <summary>Settings for <c>make -C &lt;dir&gt; -f &lt;makefile&gt;</c>.</summary>
public sealed class MakeSettings : ToolSettings
{
    public required DirectoryPath Directory { get; init; }

    /// <summary>
    /// Platform id (e.g. linux-x64) used to pick the makefile: Makefile.&lt;platform&gt;, then
    /// Makefile.&lt;os&gt;, then Makefile. Ignored when <see cref="Makefile"/> is set.
    /// </summary>
    public string? Platform { get; init; }

    /// <summary>An explicit makefile, relative to <see cref="Directory"/>.</summary>
    public string? Makefile { get; init; }

    /// <summary>NAME=value overrides on the command line, rendered in name order.</summary>
    public IDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public IList<string> Targets { get; init; } = [];

    /// <summary>-j N; 0 means one per core.</summary>
    public int Jobs { get; init; } = 0;

    /// <summary>The make executable (make, gmake, mingw32-make).</summary>
    public string Executable { get; init; } = "make";
}

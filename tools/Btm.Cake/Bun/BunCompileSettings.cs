using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Bun;

/// <summary>Settings for <c>bun build --compile</c>: one entry point into one single-executable app.</summary>
public sealed class BunCompileSettings : ToolSettings
{
    public required FilePath Entry { get; init; }

    public required FilePath Output { get; init; }

    /// <summary>bun-&lt;os&gt;-&lt;arch&gt;[-musl], e.g. bun-linux-arm64-musl.</summary>
    public required string Target { get; init; }

    /// <summary>The target's Bun runtime, fetched beforehand; bun then downloads nothing itself.</summary>
    public required FilePath Runtime { get; init; }

    public bool Minify { get; init; }

    /// <summary>--define NAME=JSON: identifiers replaced at bundle time, values as JSON text.</summary>
    public IDictionary<string, string> Defines { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

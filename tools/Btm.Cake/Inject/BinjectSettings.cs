using Cake.Core.IO;

namespace Btm.Cake.Inject;

/// <summary>Settings for writing resources into an executable (docs/binject.md).</summary>
public sealed class BinjectSettings
{
    public required FilePath Input { get; init; }
    public required FilePath Output { get; init; }

    /// <summary>Resource name to the file whose bytes it carries.</summary>
    public required IReadOnlyDictionary<string, FilePath> Resources { get; init; }

    /// <summary>The fuse to flip from <c>:0</c> to <c>:1</c>, e.g. Node's NODE_SEA_FUSE_…; null leaves the binary's fuses alone.</summary>
    public string? SentinelFuse { get; init; }

    public string MachOSegment { get; init; } = "__POSTJECT";
}

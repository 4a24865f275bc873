using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Strip;

public enum StripFlavor
{
    /// <summary>GNU binutils and llvm-strip: --strip-all / --strip-debug.</summary>
    Gnu,
    /// <summary>Apple's strip: -x / -S.</summary>
    Darwin,
}

/// <summary>Settings for stripping symbols from executables in place.</summary>
public sealed class StripSettings : ToolSettings
{
    public required IList<FilePath> Files { get; init; }

    /// <summary>True removes every symbol; false removes debug information only.</summary>
    public bool All { get; init; } = true;

    public StripFlavor Flavor { get; init; } = StripFlavor.Gnu;

    /// <summary>The strip executable for the target (strip, aarch64-linux-gnu-strip, llvm-strip).</summary>
    public string Executable { get; init; } = "strip";
}

using Cake.Core.IO;

namespace Btm.Cake.Press;

/// <summary>Settings for making a compressed, self-extracting binary.</summary>
public sealed class BinpressSettings
{
    public required FilePath Input { get; init; }
    public required FilePath Output { get; init; }

    /// <summary>The bin-stub executable built for the same platform as <see cref="Input"/>.</summary>
    public required FilePath Stub { get; init; }

    public int Level { get; init; } = Btm.Core.Press.Binpress.DefaultLevel;
}

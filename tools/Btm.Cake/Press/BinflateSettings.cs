using Cake.Core.IO;

namespace Btm.Cake.Press;

/// <summary>Settings for restoring the original bytes of a compressed binary.</summary>
public sealed class BinflateSettings
{
    public required FilePath Input { get; init; }
    public required FilePath Output { get; init; }
}

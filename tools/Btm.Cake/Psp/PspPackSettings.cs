using Btm.Core.Psp;
using Btm.Core.Release;
using Cake.Core.IO;

namespace Btm.Cake.Psp;

/// <summary>Settings for packing a signed self-contained package (docs/psp-format.md).</summary>
public sealed class PspPackSettings
{
    public required FilePath Output { get; init; }

    /// <summary>The psp-launcher built for the package's platform.</summary>
    public required FilePath Launcher { get; init; }

    public required PspMetadata Metadata { get; init; }

    public required IReadOnlyList<PspSlotSource> Slots { get; init; }

    /// <summary>The key that signs; its public half is the first key the launcher trusts.</summary>
    public required Ed25519Keys.KeyPair Key { get; init; }

    /// <summary>Other public keys the launcher trusts.</summary>
    public IReadOnlyList<byte[]> AlsoTrusted { get; init; } = [];

    public int Level { get; init; } = PspWriter.DefaultLevel;
}

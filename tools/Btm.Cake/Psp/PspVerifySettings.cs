using Cake.Core.IO;

namespace Btm.Cake.Psp;

/// <summary>Settings for checking a signed self-contained package against keys the caller trusts.</summary>
public sealed class PspVerifySettings
{
    public required FilePath Package { get; init; }

    /// <summary>Ed25519 public keys; never a key found in the package.</summary>
    public required IReadOnlyList<byte[]> TrustedKeys { get; init; }
}

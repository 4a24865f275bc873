using System.Buffers.Binary;

namespace Btm.Core.Psp;

/// <summary>
/// The keys a launcher trusts, written into its key block at pack time (docs/psp-format.md,
/// "Launcher"): the launcher checks a package against these and never a key found in the package.
/// </summary>
public static class PspLauncher
{
    public const int MaxKeys = 8;
    public const int BlockSize = 16 + 8 + MaxKeys * 32;
    public static ReadOnlySpan<byte> Marker => "BTMPSP-KEYS-v1\0\0"u8;

    /// <summary>A copy of <paramref name="launcher"/> trusting exactly <paramref name="keys"/> (1–8 Ed25519 public keys).</summary>
    public static byte[] WithKeys(byte[] launcher, IReadOnlyList<byte[]> keys, string name)
    {
        if (keys.Count is < 1 or > MaxKeys)
            throw new BuildFailedException($"{name}: a launcher trusts 1 to {MaxKeys} keys; {keys.Count} given");
        if (keys.FirstOrDefault(k => k.Length != 32) is { } bad)
            throw new BuildFailedException($"{name}: an Ed25519 public key is 32 bytes, not {bad.Length}");
        var at = launcher.AsSpan().IndexOf(Marker);
        if (at < 0 || launcher.Length - at < BlockSize)
            throw new BuildFailedException($"{name} has no key block: it is not a BTM psp-launcher (build one with ./build.sh --target=Build --package=psp-launcher)");
        if (launcher.AsSpan(at + 1).IndexOf(Marker) >= 0)
            throw new BuildFailedException($"{name} has two key blocks: not a launcher BTM built");
        var copy = (byte[])launcher.Clone();
        // A PE launcher's Authenticode fields are packed as zero: the package reads the same signed or not.
        PspFormat.NormalizePe(copy);
        var block = copy.AsSpan(at + Marker.Length, BlockSize - Marker.Length);
        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, (uint)keys.Count);
        for (var i = 0; i < keys.Count; i++)
            keys[i].CopyTo(block[(8 + i * 32)..]);
        return copy;
    }

    /// <summary>What a launcher packed by <paramref name="signer"/> trusts: the signer's key first, then the others once each.</summary>
    public static IReadOnlyList<byte[]> Trusting(byte[] signer, IEnumerable<byte[]> others) =>
        [signer, .. others.Where(k => !k.AsSpan().SequenceEqual(signer))];

    /// <summary>The keys a launcher's block holds (empty for one never packed).</summary>
    public static IReadOnlyList<byte[]> Keys(ReadOnlySpan<byte> launcher)
    {
        var at = launcher.IndexOf(Marker);
        if (at < 0 || launcher.Length - at < BlockSize)
            return [];
        var block = launcher.Slice(at + Marker.Length, BlockSize - Marker.Length);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(block);
        var keys = new List<byte[]>();
        for (var i = 0; i < (count > MaxKeys ? 0 : (int)count); i++)
            keys.Add(block.Slice(8 + i * 32, 32).ToArray());
        return keys;
    }
}

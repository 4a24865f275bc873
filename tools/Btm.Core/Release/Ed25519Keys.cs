using System.Security.Cryptography;
using NSec.Cryptography;

namespace Btm.Core.Release;

/// <summary>
/// Ed25519 keys and detached signatures (spec: docs/manifest.md). Keys are stored as PEM
/// (PKCS#8 private, SubjectPublicKeyInfo public) so `openssl pkeyutl` reads the same files;
/// cake.config and the manifest name a public key by its raw 32 bytes in lowercase hex (Cake's
/// INI parser cannot take base64's '=' padding in a value). The arithmetic is libsodium's, through
/// NSec.
/// </summary>
public static class Ed25519Keys
{
    // DER prefixes of the only Ed25519 encodings there are (RFC 8410): the key bytes follow.
    private static readonly byte[] Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");
    private static readonly byte[] SpkiPrefix = Convert.FromHexString("302a300506032b6570032100");

    public sealed record KeyPair(byte[] PrivateSeed, byte[] PublicKey)
    {
        public string PublicKeyHex => Convert.ToHexStringLower(PublicKey);
    }

    public static KeyPair Generate()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        return FromSeed(seed);
    }

    public static KeyPair FromSeed(byte[] seed)
    {
        if (seed.Length != 32)
            throw new FormatException($"an Ed25519 private key is 32 bytes, got {seed.Length}");
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return new KeyPair(seed, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public static byte[] Sign(byte[] seed, byte[] message)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return SignatureAlgorithm.Ed25519.Sign(key, message);
    }

    public static bool Verify(byte[] publicKey, byte[] message, byte[] signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
            return false;
        // A key that is not a point on the curve verifies nothing.
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
            return false;
        return SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }

    public static string PrivatePem(byte[] seed) => Pem("PRIVATE KEY", [.. Pkcs8Prefix, .. seed]);

    public static string PublicPem(byte[] publicKey) => Pem("PUBLIC KEY", [.. SpkiPrefix, .. publicKey]);

    /// <summary>Reads a private key given as PKCS#8 PEM or as base64 of the 32-byte seed.</summary>
    public static KeyPair ReadPrivate(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            var der = FromPem(trimmed, "PRIVATE KEY");
            if (der.Length != Pkcs8Prefix.Length + 32 || !der.AsSpan(0, Pkcs8Prefix.Length).SequenceEqual(Pkcs8Prefix))
                throw new FormatException("the PEM is not an Ed25519 PKCS#8 private key (make one with the KeyGen task or `openssl genpkey -algorithm ed25519`)");
            return FromSeed(der[Pkcs8Prefix.Length..]);
        }
        try
        {
            return FromSeed(Convert.FromBase64String(trimmed));
        }
        catch (FormatException)
        {
            throw new FormatException("the key is neither PKCS#8 PEM nor base64 of a 32-byte Ed25519 seed");
        }
    }

    /// <summary>Reads a public key given as 64 hex digits, SPKI PEM, or base64 of its 32 bytes.</summary>
    public static byte[] ReadPublic(string text)
    {
        var trimmed = text.Trim();
        byte[] key;
        if (trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            var der = FromPem(trimmed, "PUBLIC KEY");
            if (der.Length != SpkiPrefix.Length + 32 || !der.AsSpan(0, SpkiPrefix.Length).SequenceEqual(SpkiPrefix))
                throw new FormatException("the PEM is not an Ed25519 public key");
            key = der[SpkiPrefix.Length..];
        }
        else if (trimmed.Length == 64 && trimmed.All(Uri.IsHexDigit))
        {
            key = Convert.FromHexString(trimmed);
        }
        else
        {
            key = Convert.FromBase64String(trimmed);
        }
        return key.Length == 32 ? key : throw new FormatException($"an Ed25519 public key is 32 bytes, got {key.Length}");
    }

    private static string Pem(string label, byte[] der) => PemEncoding.WriteString(label, der) + "\n";

    private static byte[] FromPem(string pem, string label)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
            throw new FormatException($"no '-----BEGIN {label}-----' block");
        var found = pem[fields.Label];
        if (found != label)
            throw new FormatException($"the PEM holds a '{found}' block, not '{label}'");
        return Convert.FromBase64String(pem[fields.Base64Data].ReplaceLineEndings(""));
    }
}

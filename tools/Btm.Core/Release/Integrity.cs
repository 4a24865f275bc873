using System.Security.Cryptography;

namespace Btm.Core.Release;

/// <summary>npm's Subresource Integrity string for a tarball: "sha512-" + base64 of the SHA-512.</summary>
public static class Integrity
{
    public static string Sha512Of(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(stream));
    }
}

using System.Security.Cryptography;

namespace Btm.Core.Release;

/// <summary>A tarball's size, SHA-256 and npm SRI integrity, from one read of the file.</summary>
public sealed record TarballDigest(long Size, string Sha256, string Integrity)
{
    public static TarballDigest Of(string path)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long size = 0;
        int read;
        while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            sha512.AppendData(buffer, 0, read);
            size += read;
        }
        return new TarballDigest(size, Convert.ToHexStringLower(sha256.GetHashAndReset()), "sha512-" + Convert.ToBase64String(sha512.GetHashAndReset()));
    }
}

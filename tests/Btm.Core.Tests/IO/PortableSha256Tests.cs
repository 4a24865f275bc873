using System.Security.Cryptography;
using System.Text;
using Btm.Core.IO;

namespace Btm.Core.Tests.IO;

public class PortableSha256Tests
{
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the one-million-'a' vector.
    [TestCase("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [TestCase("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [TestCase("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Nist_vectors(string message, string expected) =>
        Assert.That(Convert.ToHexStringLower(PortableSha256.HashData(Encoding.ASCII.GetBytes(message))), Is.EqualTo(expected));

    [Test]
    public void One_million_a_in_uneven_pieces()
    {
        var sha = new PortableSha256();
        var data = Encoding.ASCII.GetBytes(new string('a', 1_000_000));
        for (var at = 0; at < data.Length;)
        {
            var n = Math.Min(1 + at % 97, data.Length - at);
            sha.Append(data.AsSpan(at, n));
            at += n;
        }
        Assert.That(Convert.ToHexStringLower(sha.GetHashAndReset()), Is.EqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    [Test]
    public void Agrees_with_openssl_at_every_length_around_the_block_edges()
    {
        var random = new Random(20261122);
        for (var length = 0; length <= 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.That(PortableSha256.HashData(data), Is.EqualTo(SHA256.HashData(data)), $"length {length}");
        }
    }

    [Test]
    public void Files_hash_the_same_as_with_openssl()
    {
        using var dir = new TempDir();
        var random = new Random(7);
        foreach (var size in new[] { 0, 1, 64 << 10, (256 << 10) + 1, 3 << 20 })
        {
            var data = new byte[size];
            random.NextBytes(data);
            var path = dir.WriteBytes($"f{size}", data);
            Assert.That(PortableSha256.HexOfFile(path), Is.EqualTo(Sha256.HexOfFile(path)), $"{size} bytes");
        }
    }

    [Test]
    public void The_hasher_is_reusable_after_a_hash()
    {
        var sha = new PortableSha256();
        sha.Append("first"u8);
        sha.GetHashAndReset();
        sha.Append("abc"u8);
        Assert.That(sha.GetHashAndReset(), Is.EqualTo(SHA256.HashData("abc"u8)));
    }
}

using System.Security.Cryptography;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Core.Tests;

/// <summary>Golden vectors for the remote cache entry of docs/remote-cache.md.</summary>
public class RemoteEntryTests
{
    private static string GoldenPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", name);

    private static readonly KeyComponents Components = new(new('a', 64), new('b', 64), new('c', 64), new('d', 64), new('e', 64), new('f', 64));

    /// <summary>The golden checkpoint metadata, for a five-byte archive "hello".</summary>
    private static readonly CheckpointMetadata Meta = new("binflate", "compiled", "linux-x64", "dev", Components.Key, Components,
        "compiled.tar.gz", 5, Sha256.Hex(SHA256.HashData("hello"u8)), new DateTimeOffset(2026, 11, 21, 23, 30, 5, TimeSpan.Zero));

    private static string Hash => RemoteEntry.HashFor(Meta);

    [Test]
    public void An_entry_serializes_to_the_golden_bytes_and_reads_back()
    {
        using var output = new MemoryStream();
        RemoteEntry.Write(Meta, new MemoryStream("hello"u8.ToArray()), output);
        var golden = File.ReadAllBytes(GoldenPath("remote-entry.bin"));
        Assert.That(output.ToArray(), Is.EqualTo(golden));

        using var input = new MemoryStream(golden);
        var read = RemoteEntry.ReadHeader(input, golden.Length, Hash);
        Assert.That(read with { Components = Components }, Is.EqualTo(Meta));
        Assert.That(new StreamReader(input).ReadToEnd(), Is.EqualTo("hello"), "the stream is left at the archive");
    }

    [Test]
    public void The_artifact_hash_names_every_field_that_tells_checkpoints_apart()
    {
        Assert.That(Hash, Does.Match("^[0-9a-f]{64}$"));
        var others = new[]
        {
            RemoteEntry.HashFor("binflatf", "linux-x64", "dev", "compiled", Meta.Key), RemoteEntry.HashFor("binflate", "linux-arm64", "dev", "compiled", Meta.Key),
            RemoteEntry.HashFor("binflate", "linux-x64", "prod", "compiled", Meta.Key), RemoteEntry.HashFor("binflate", "linux-x64", "dev", "stripped", Meta.Key),
            RemoteEntry.HashFor("binflate", "linux-x64", "dev", "compiled", new string('0', 64)),
        };
        Assert.That(others, Has.None.EqualTo(Hash));
        Assert.That(others.Distinct().Count(), Is.EqualTo(others.Length));
    }

    [TestCase(0, "no BTMRCE magic")]
    [TestCase(11, "metadata length")]
    [TestCase(-1, "archive is 4 bytes, metadata says 5")]
    public void A_damaged_entry_says_what_is_wrong(int at, string message)
    {
        var bytes = File.ReadAllBytes(GoldenPath("remote-entry.bin")).ToList();
        if (at < 0)
            bytes.RemoveAt(bytes.Count - 1);
        else
            bytes[at] ^= 0xff;
        var e = Assert.Throws<InvalidDataException>(() => RemoteEntry.ReadHeader(new MemoryStream(bytes.ToArray()), bytes.Count, Hash))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void An_entry_stored_under_another_hash_is_refused()
    {
        var golden = File.ReadAllBytes(GoldenPath("remote-entry.bin"));
        var other = RemoteEntry.HashFor("binflate", "linux-x64", "dev", "final", Meta.Key);
        var e = Assert.Throws<InvalidDataException>(() => RemoteEntry.ReadHeader(new MemoryStream(golden), golden.Length, other))!;
        Assert.That(e.Message, Does.Contain("which is stored under another hash"));
    }

    [Test]
    public void The_tag_is_an_HMAC_SHA256_over_body_hash_and_team_matching_a_vector_from_Pythons_hmac()
    {
        var golden = File.ReadAllBytes(GoldenPath("remote-entry.bin"));
        var tag = RemoteEntry.Tag("golden-key"u8.ToArray(), new MemoryStream(golden), "0123abcd", "team-golden");
        Assert.That(tag, Is.EqualTo("i9a461PTBxN1o7dhMKi463sFj4Bf1caV6J3EK3U8OSo="));
        Assert.That(RemoteEntry.TagMatches(tag, tag + "\n"), Is.True);
        Assert.That(RemoteEntry.TagMatches(tag, tag.Replace('i', 'j')), Is.False);
        Assert.That(RemoteEntry.TagMatches(tag, null), Is.False);
        Assert.That(RemoteEntry.Tag("golden-key"u8.ToArray(), new MemoryStream(golden), "0123abcd", "another-team"), Is.Not.EqualTo(tag));
    }
}

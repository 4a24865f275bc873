using System.Diagnostics;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Core.Tests;

/// <summary>Golden vectors for the checkpoint formats of docs/checkpoints.md.</summary>
public class CheckpointFormatTests
{
    private static string GoldenPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", name);

    private static readonly CheckpointMetadata GoldenMetadata = new(
        "binflate", "compiled", "linux-x64", "dev",
        new KeyComponents(new('a', 64), new('b', 64), new('c', 64), new('d', 64), new('e', 64), new('f', 64)).Key,
        new KeyComponents(new('a', 64), new('b', 64), new('c', 64), new('d', 64), new('e', 64), new('f', 64)),
        "compiled.tar.gz", 1234, new('0', 64), new DateTimeOffset(2026, 11, 21, 23, 30, 5, TimeSpan.Zero));

    [Test]
    public void Metadata_serializes_to_the_golden_bytes()
    {
        var expected = File.ReadAllBytes(GoldenPath("checkpoint-metadata.json"));
        Assert.That(CheckpointMetadataSerializer.Serialize(GoldenMetadata), Is.EqualTo(expected));
    }

    [Test]
    public void Golden_metadata_reads_back_to_the_same_record()
    {
        var read = CheckpointMetadataSerializer.Deserialize(File.ReadAllBytes(GoldenPath("checkpoint-metadata.json")));
        Assert.That(read, Is.EqualTo(GoldenMetadata with { Components = read.Components }));
        Assert.That(read.Components, Is.EqualTo(GoldenMetadata.Components));
    }

    [TestCase("\"key\": \"", "\"key\": \"X", "key is not a lowercase SHA-256")]
    [TestCase("\"size\": 1234", "\"size\": -1", "archive.size")]
    [TestCase("\"file\": \"compiled.tar.gz\"", "\"file\": \"../x.tar.gz\"", "must be a plain file name")]
    [TestCase("\"created\": \"2026-11-21T23:30:05Z\"", "\"created\": \"yesterday\"", "is not a UTC time")]
    [TestCase("\"format\": \"btm-checkpoint/1\"", "\"format\": \"btm-checkpoint/2\"", "expected 'btm-checkpoint/1'")]
    public void Metadata_reader_names_the_bad_field(string from, string to, string message)
    {
        var text = File.ReadAllText(GoldenPath("checkpoint-metadata.json")).Replace(from, to);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointMetadataSerializer.Deserialize(System.Text.Encoding.UTF8.GetBytes(text)))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    private static TempDir GoldenTree()
    {
        var dir = new TempDir();
        dir.Write("bin/tool", "#!/bin/sh\necho golden\n");
        dir.Write("readme.txt", "checkpoint golden vector\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(dir.Path, "bin"), (UnixFileMode)0x1ED);
            File.SetUnixFileMode(Path.Combine(dir.Path, "bin/tool"), (UnixFileMode)0x1ED);
            File.SetUnixFileMode(Path.Combine(dir.Path, "readme.txt"), (UnixFileMode)0x1A4);
        }
        return dir;
    }

    public const string GoldenTarSha256 = "e0b1c4c854a758815dede4e38fb4210ffc8eb18a7ceefdf915358faa0dbedb78";

    [Test]
    public void Tar_layer_is_byte_stable_for_the_golden_tree()
    {
        using var tree = GoldenTree();
        using var tar = new MemoryStream();
        CheckpointArchive.WriteTar(tree.Path, tar);
        Assert.That(Sha256.Hex(System.Security.Cryptography.SHA256.HashData(tar.ToArray())), Is.EqualTo(GoldenTarSha256));
    }

    [Test]
    public void Golden_archive_extracts_to_the_golden_tree()
    {
        using var dest = new TempDir();
        var target = Path.Combine(dest.Path, "out");
        using (var archive = File.OpenRead(GoldenPath("checkpoint-v1.tar.gz")))
            CheckpointArchive.Extract(archive, target);
        Assert.That(File.ReadAllText(Path.Combine(target, "bin/tool")), Is.EqualTo("#!/bin/sh\necho golden\n"));
        Assert.That(File.ReadAllText(Path.Combine(target, "readme.txt")), Is.EqualTo("checkpoint golden vector\n"));
        if (!OperatingSystem.IsWindows())
            Assert.That(File.GetUnixFileMode(Path.Combine(target, "bin/tool")), Is.EqualTo((UnixFileMode)0x1ED));
    }

    [Test]
    public void Golden_archive_is_a_plain_tar_gz_that_gnu_tar_reads()
    {
        var tar = new[] { "/usr/bin/tar", "/bin/tar" }.FirstOrDefault(File.Exists);
        if (tar is null)
            Assert.Ignore("tar is not installed: the independent format check needs GNU tar or bsdtar");
        var start = new ProcessStartInfo(tar!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-tvzf", GoldenPath("checkpoint-v1.tar.gz") })
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var listing = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd());
        Assert.That(listing, Does.Contain("-rwxr-xr-x 0/0").And.Contain("bin/tool").And.Contain("1970-01-01"));
        Assert.That(listing, Does.Contain("-rw-r--r-- 0/0").And.Contain("readme.txt"));
    }

    [Test]
    public void Writing_the_golden_tree_gives_an_archive_that_round_trips()
    {
        using var tree = GoldenTree();
        using var dest = new TempDir();
        var archive = Path.Combine(dest.Path, "a.tar.gz");
        using (var f = File.Create(archive))
            CheckpointArchive.Write(tree.Path, f);
        using (var f = File.OpenRead(archive))
            CheckpointArchive.Extract(f, Path.Combine(dest.Path, "x"));
        Assert.That(File.ReadAllText(Path.Combine(dest.Path, "x/readme.txt")), Is.EqualTo("checkpoint golden vector\n"));
    }
}

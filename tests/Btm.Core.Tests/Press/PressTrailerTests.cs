using System.Diagnostics;
using System.Security.Cryptography;
using Btm.Core.Press;

namespace Btm.Core.Tests.Press;

public class PressTrailerTests
{
    private static string RepoFile(string relative)
    {
        var dir = TestContext.CurrentContext.TestDirectory;
        while (!File.Exists(Path.Combine(dir, "cake.config")))
            dir = Path.GetDirectoryName(dir)!;
        return Path.Combine(dir, relative);
    }

    // The same bytes the C reader's CTest (packages/bin-stub/test/format_test.c) checks.
    private static byte[] Golden => File.ReadAllBytes(RepoFile("packages/bin-stub/test/golden-trailer.bin"));
    private const long GoldenFileSize = 0x1234 + 0x5678 + PressTrailer.Size;

    private static PressTrailer GoldenTrailer()
    {
        var original = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var payload = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();
        return new PressTrailer(0x1234, 0x5678, 0x9ABCDEF, original, payload, PressTrailer.KeyFor(original));
    }

    [Test]
    public void The_writer_produces_the_golden_trailer_and_the_reader_reads_it_back()
    {
        Assert.That(GoldenTrailer().Serialize(), Is.EqualTo(Golden));
        var read = PressTrailer.Parse(Golden, GoldenFileSize);
        Assert.That((read.PayloadOffset, read.PayloadSize, read.UncompressedSize), Is.EqualTo((0x1234L, 0x5678L, 0x9ABCDEFL)));
        Assert.That(read.CacheKey, Is.EqualTo(GoldenTrailer().OriginalSha256[..16]));
    }

    [Test]
    public void Every_single_byte_flip_is_refused()
    {
        for (var i = 0; i < PressTrailer.Size; i++)
        {
            var copy = Golden;
            copy[i] ^= 0x01;
            Assert.Throws(i < 8 ? typeof(NotPressedException) : typeof(InvalidDataException), () => PressTrailer.Parse(copy, GoldenFileSize), $"offset {i}");
        }
    }

    [TestCase(0L, 0x5678L, 1L, "outside the file")]
    [TestCase(0x1234L, 0L, 1L, "outside the file")]
    [TestCase(0x1234L, 0x5679L, 1L, "outside the file")]
    [TestCase(long.MaxValue, 0x5678L, 1L, "outside the file")]
    [TestCase(0x1234L, long.MaxValue, 1L, "outside the file")]
    [TestCase(0x1234L, 0x5678L, 0L, "uncompressed size out of range")]
    [TestCase(0x1234L, 0x5678L, 1L << 40, "uncompressed size out of range")]
    public void Fields_out_of_range_are_refused_even_with_a_valid_check(long offset, long size, long uncompressed, string message)
    {
        var t = GoldenTrailer() with { PayloadOffset = offset, PayloadSize = size, UncompressedSize = uncompressed };
        var e = Assert.Throws<InvalidDataException>(() => PressTrailer.Parse(t.Serialize(), GoldenFileSize))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void A_newer_version_or_codec_is_refused_by_name()
    {
        Assert.That(Assert.Throws<InvalidDataException>(() => PressTrailer.Parse((GoldenTrailer() with { Version = 2 }).Serialize(), GoldenFileSize))!.Message,
            Does.Contain("format version 2"));
        Assert.That(Assert.Throws<InvalidDataException>(() => PressTrailer.Parse((GoldenTrailer() with { Codec = 9 }).Serialize(), GoldenFileSize))!.Message,
            Does.Contain("codec 9"));
    }

    [Test]
    public void Fuzzing_the_reader_for_two_seconds_never_crashes()
    {
        // Random field values with a recomputed check reach the range checks behind it.
        var random = new Random(20261121);
        var watch = Stopwatch.StartNew();
        var runs = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(2))
        {
            var bytes = Golden;
            for (var n = random.Next(1, 6); n > 0; n--)
                bytes[random.Next(8, 120)] = (byte)random.Next(256);
            SHA256.HashData(bytes.AsSpan(0, 120))[..8].CopyTo(bytes.AsSpan(120));
            var fileSize = random.Next(4) == 0 ? random.NextInt64(0, long.MaxValue) : GoldenFileSize;
            try
            {
                var t = PressTrailer.Parse(bytes, fileSize);
                Assert.That(t.PayloadOffset + t.PayloadSize, Is.LessThanOrEqualTo(fileSize - PressTrailer.Size));
            }
            catch (InvalidDataException)
            {
            }
            runs++;
        }
        Assert.That(runs, Is.GreaterThan(1000));
    }
}

public class BinpressRoundTripTests
{
    private static (TempDir Dir, string Stub, string Original) Setup(int size)
    {
        var dir = new TempDir();
        var stub = dir.Write("stub", "#!/bin/sh\nexit 1\n");
        var data = new byte[size];
        new Random(size).NextBytes(data.AsSpan(0, size / 3));
        var original = dir.WriteBytes("original", data);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(original, (UnixFileMode)0x1E8); // 0750
        return (dir, stub, original);
    }

    [TestCase(1)]
    [TestCase(1 << 20)]
    [TestCase(5 * 1024 * 1024 + 17)]
    public void Compress_then_restore_is_byte_identical_and_keeps_the_mode(int size)
    {
        var (dir, stub, original) = Setup(size);
        using var _ = dir;
        var pressed = Path.Combine(dir.Path, "pressed");
        var result = Binpress.Compress(original, stub, pressed, level: 3);
        Assert.That(result.OriginalSize, Is.EqualTo(size));
        Assert.That(File.ReadAllBytes(pressed)[..17], Is.EqualTo(File.ReadAllBytes(stub)), "the stub comes first");
        var restored = Path.Combine(dir.Path, "restored");
        Binpress.Restore(pressed, restored);
        Assert.That(File.ReadAllBytes(restored), Is.EqualTo(File.ReadAllBytes(original)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(pressed), Is.EqualTo((UnixFileMode)0x1E8));
            Assert.That(File.GetUnixFileMode(restored), Is.EqualTo((UnixFileMode)0x1E8));
        }
    }

    [Test]
    public void A_flipped_payload_byte_or_a_truncation_is_refused_and_leaves_no_output()
    {
        var (dir, stub, original) = Setup(300_000);
        using var _ = dir;
        var pressed = Path.Combine(dir.Path, "pressed");
        Binpress.Compress(original, stub, pressed, level: 3);
        var bytes = File.ReadAllBytes(pressed);
        var flipped = (byte[])bytes.Clone();
        flipped[40 + (bytes.Length - 40 - PressTrailer.Size) / 2] ^= 0x10;
        File.WriteAllBytes(pressed, flipped);
        var restored = Path.Combine(dir.Path, "restored");
        var e = Assert.Throws<InvalidDataException>(() => Binpress.Restore(pressed, restored))!;
        Assert.That(e.Message, Does.Contain("corrupt payload").Or.Contain("zstd"));
        Assert.That(File.Exists(restored), Is.False);
        File.WriteAllBytes(pressed, bytes[..(bytes.Length - 1)]);
        Assert.Throws<NotPressedException>(() => Binpress.Restore(pressed, restored), "cutting one byte takes the trailer away");
        File.WriteAllBytes(pressed, [.. bytes[..100], .. bytes[^PressTrailer.Size..]]);
        Assert.That(Assert.Throws<InvalidDataException>(() => Binpress.Restore(pressed, restored))!.Message, Does.Contain("outside the file"));
        Assert.That(Directory.GetFiles(dir.Path, ".*"), Is.Empty, "no temp files");
    }

    [Test]
    public void A_compressed_binary_cannot_be_used_as_a_stub()
    {
        var (dir, stub, original) = Setup(1000);
        using var _ = dir;
        var pressed = Path.Combine(dir.Path, "pressed");
        Binpress.Compress(original, stub, pressed, level: 1);
        var e = Assert.Throws<InvalidDataException>(() => Binpress.Compress(original, pressed, Path.Combine(dir.Path, "twice"), 1))!;
        Assert.That(e.Message, Does.Contain("not a bare stub"));
    }
}

using System.Security.Cryptography;
using Btm.Core.IO;

namespace Btm.Core.Press;

public sealed record PressResult(long OriginalSize, long CompressedSize, long StubSize, string OriginalSha256);

/// <summary>Makes and undoes compressed binaries: stub + zstd payload + trailer (docs/binpress-format.md).</summary>
public static class Binpress
{
    /// <summary>Level 19 matches `zstd -19` (bench/binpress.sh measures size and time); decompression speed barely depends on it.</summary>
    public const int DefaultLevel = 19;

    public static PressResult Compress(string input, string stub, string output, int level = DefaultLevel)
    {
        if (level < 1 || level > Zstd.MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(level), $"zstd level {level} is outside 1..{Zstd.MaxLevel}");
        var stubBytes = File.ReadAllBytes(stub);
        using (var probe = File.OpenRead(stub))
        {
            if (probe.Length >= PressTrailer.Size)
            {
                try
                {
                    PressTrailer.Read(probe);
                    throw new InvalidDataException($"{stub} is itself a compressed binary, not a bare stub");
                }
                catch (NotPressedException)
                {
                }
            }
        }
        // The stub runs first on the user's machine: it must be built for the input's platform.
        if (Platforms.ExecutableTarget.Read(stub) is { } stubTarget && Platforms.ExecutableTarget.Read(input) is { } inputTarget
            && Platforms.ExecutableTarget.Mismatch(stubTarget, inputTarget) is { } mismatch)
        {
            throw new InvalidDataException($"{mismatch}: use the bin-stub built for the input's platform " +
                "(./build.sh --target=Build --package=bin-stub --mode=prod --platform=<its id>, then --stub packages/bin-stub/build/prod/<id>/out/Final/bin-stub)");
        }
        long originalSize = 0;
        byte[] originalSha = [];
        long payloadSize = 0;
        AtomicFile.Write(output, stream =>
        {
            stream.Write(stubBytes);
            using var source = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var hashingInput = new HashingStream(source, HashAlgorithmName.SHA256, leaveOpen: true);
            using var hashingOutput = new HashingStream(stream, HashAlgorithmName.SHA256, leaveOpen: true);
            Zstd.Compress(hashingInput, hashingOutput, level, Environment.ProcessorCount);
            originalSize = hashingInput.Count;
            payloadSize = hashingOutput.Count;
            originalSha = hashingInput.Digest();
            var trailer = new PressTrailer(stubBytes.Length, payloadSize, originalSize, originalSha, hashingOutput.Digest(),
                PressTrailer.KeyFor(originalSha));
            stream.Write(trailer.Serialize());
        });
        CopyMode(input, output);
        return new PressResult(originalSize, new FileInfo(output).Length, stubBytes.Length, Convert.ToHexStringLower(originalSha));
    }

    /// <summary>Restores the original bytes of a compressed binary, checking both hashes; the output appears only when they match.</summary>
    public static PressTrailer Restore(string input, string output)
    {
        using var file = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var trailer = PressTrailer.Read(file);
        AtomicFile.Write(output, stream =>
        {
            file.Seek(trailer.PayloadOffset, SeekOrigin.Begin);
            using var payload = new HashingStream(file, HashAlgorithmName.SHA256, leaveOpen: true);
            using var restored = new HashingStream(stream, HashAlgorithmName.SHA256, leaveOpen: true);
            var produced = Zstd.Decompress(payload, trailer.PayloadSize, restored, trailer.UncompressedSize);
            if (!payload.Digest().AsSpan().SequenceEqual(trailer.PayloadSha256))
                throw new InvalidDataException($"{input}: corrupt payload: SHA-256 of the payload does not match the trailer");
            if (produced != trailer.UncompressedSize)
                throw new InvalidDataException($"{input}: corrupt payload: {produced} bytes restored, the trailer says {trailer.UncompressedSize}");
            if (!restored.Digest().AsSpan().SequenceEqual(trailer.OriginalSha256))
                throw new InvalidDataException($"{input}: corrupt payload: SHA-256 of the restored binary does not match the trailer");
        });
        CopyMode(input, output);
        return trailer;
    }

    private static void CopyMode(string from, string to)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(to, File.GetUnixFileMode(from));
    }
}

using System.Security.Cryptography;

namespace Btm.Core.IO;

/// <summary>
/// Passes reads or writes through to another stream while hashing and counting the bytes, so a
/// file is hashed in the same pass that reads or writes it.
/// </summary>
public sealed class HashingStream(Stream inner, HashAlgorithmName algorithm, bool leaveOpen = false) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(algorithm);
    private byte[]? _digest;

    public long Count { get; private set; }

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => Count;
    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        _hash.AppendData(buffer[..read]);
        Count += read;
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        Count += buffer.Length;
        inner.Write(buffer);
    }

    /// <summary>Reads and hashes whatever the consumer did not need, so trailing bytes count too.</summary>
    public void DrainToEnd()
    {
        var buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }
    }

    /// <summary>The digest of everything so far; taking it ends the hashing.</summary>
    public byte[] Digest() => _digest ??= _hash.GetHashAndReset();

    public string HexDigest() => Convert.ToHexStringLower(Digest());

    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen)
                inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

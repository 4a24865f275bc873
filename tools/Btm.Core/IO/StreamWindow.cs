namespace Btm.Core.IO;

/// <summary>
/// The next <c>length</c> bytes of a stream, and not one more: a payload inside a larger file, a
/// file inside a tar. An input that ends sooner throws <see cref="EndOfStreamException"/> (truncated).
/// </summary>
public sealed class StreamWindow(Stream inner, long length) : Stream
{
    private readonly long _length = length;
    private long _left = length;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_left == 0)
            return 0;
        var read = inner.Read(buffer, offset, (int)Math.Min(count, _left));
        if (read == 0)
            throw new EndOfStreamException($"the input ends {_left} byte(s) early (truncated)");
        _left -= read;
        return read;
    }

    /// <summary>Reads past what is left of the window.</summary>
    public void Skip()
    {
        var buffer = new byte[1 << 16];
        while (_left > 0)
            _ = Read(buffer, 0, buffer.Length);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _left; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

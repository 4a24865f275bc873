using System.Text;
using System.Text.RegularExpressions;

namespace Btm.Mcp;

/// <summary>
/// stdin for the stdio transport, one JSON-RPC message per line, with a size bound: a line longer
/// than <see cref="MaxLine"/> bytes is never held whole. It is read through and replaced by a small
/// tools/call of the same id and tool carrying only its size, which <see cref="ToolArguments"/>
/// refuses by name; HTTP has the same bound as Kestrel's request body limit.
/// </summary>
public sealed partial class BoundedLineStream(Stream inner) : Stream
{
    /// <summary>The largest message read: a tool call is a few kilobytes; names and options are bounded far below this.</summary>
    public const int MaxLine = 1 << 20;

    /// <summary>The argument the replacement call carries: the original message's size in bytes.</summary>
    public const string OversizedArgument = "__btm_oversized_bytes";

    private const int Keep = 4096;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private readonly MemoryStream _line = new();
    private byte[] _ready = [];
    private int _readyAt;

    [GeneratedRegex("\"id\"\\s*:\\s*(-?\\d{1,18}|\"[^\"\\\\]{0,128}\")")]
    private static partial Regex Id();

    [GeneratedRegex("\"name\"\\s*:\\s*\"([A-Za-z0-9_.-]{1,64})\"")]
    private static partial Regex ToolName();

    public override int Read(byte[] buffer, int offset, int count)
    {
        while (_readyAt >= _ready.Length)
        {
            if (!NextLine())
                return 0;
        }
        var n = Math.Min(count, _ready.Length - _readyAt);
        Array.Copy(_ready, _readyAt, buffer, offset, n);
        _readyAt += n;
        return n;
    }

    /// <summary>Reads the next line (bounded) into <see cref="_ready"/>; false at the end of the input.</summary>
    private bool NextLine()
    {
        _line.SetLength(0);
        long size = 0;
        byte[]? tail = null;
        var tailLength = 0;
        while (true)
        {
            var n = Fill();
            if (n == 0)
            {
                if (size == 0)
                    return false;
                break;
            }
            var newline = Array.IndexOf(_chunk, (byte)'\n', 0, n);
            var take = newline < 0 ? n : newline + 1;
            if (size + take <= MaxLine)
            {
                _line.Write(_chunk, 0, take);
            }
            else
            {
                // Past the bound: keep only the head already read and a rolling tail (a client may write the id last).
                tail ??= new byte[Keep];
                for (var i = 0; i < take; i++)
                    tail[(tailLength + i) % Keep] = _chunk[i];
                tailLength += take;
            }
            size += take;
            if (newline >= 0)
            {
                if (newline + 1 < n)
                    Pending(_chunk.AsSpan(newline + 1, n - newline - 1));
                break;
            }
        }
        if (size <= MaxLine)
        {
            _ready = _line.ToArray();
            _readyAt = 0;
            return true;
        }
        var head = Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)Math.Min(_line.Length, Keep));
        var end = tail is null ? "" : Encoding.UTF8.GetString(Rolled(tail, tailLength));
        var id = Id().Match(head) is { Success: true } h ? h.Groups[1].Value : Id().Match(end) is { Success: true } t ? t.Groups[1].Value : "null";
        var tool = ToolName().Match(head) is { Success: true } m ? m.Groups[1].Value : "unknown";
        _ready = Encoding.UTF8.GetBytes(
            $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{{\"{OversizedArgument}\":{size}}}}}}}\n");
        _readyAt = 0;
        _line.SetLength(0);
        return true;
    }

    private static byte[] Rolled(byte[] ring, int written)
    {
        if (written <= ring.Length)
            return ring[..written];
        var start = written % ring.Length;
        return [.. ring[start..], .. ring[..start]];
    }

    // Bytes after a newline belong to the next line: they are read before anything more of the inner stream.
    private byte[] _pending = [];
    private int _pendingAt;

    private int Fill()
    {
        if (_pendingAt < _pending.Length)
        {
            var n = Math.Min(_chunk.Length, _pending.Length - _pendingAt);
            Array.Copy(_pending, _pendingAt, _chunk, 0, n);
            _pendingAt += n;
            return n;
        }
        return inner.Read(_chunk, 0, _chunk.Length);
    }

    private void Pending(ReadOnlySpan<byte> rest)
    {
        _pending = [.. rest, .. _pending.AsSpan(_pendingAt)];
        _pendingAt = 0;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

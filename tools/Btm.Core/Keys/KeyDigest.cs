using System.Buffers.Binary;
using System.Text;
using Btm.Core.IO;

namespace Btm.Core.Keys;

/// <summary>
/// SHA-256 over labelled, length-prefixed fields, so no two different field lists can produce
/// the same byte stream (a path ending where file bytes begin, say).
/// </summary>
public sealed class KeyDigest
{
    private readonly PortableSha256 _hash = new();

    public KeyDigest(string domain) => Add("domain", domain);

    public KeyDigest Add(string label, string value) => Add(label, Encoding.UTF8.GetBytes(value));

    public KeyDigest Add(string label, ReadOnlySpan<byte> value)
    {
        AppendField(Encoding.UTF8.GetBytes(label));
        AppendField(value);
        return this;
    }

    public string Hex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    private void AppendField(ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        _hash.Append(length);
        _hash.Append(bytes);
    }
}

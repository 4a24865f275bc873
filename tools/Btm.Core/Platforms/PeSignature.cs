using System.Buffers.Binary;

namespace Btm.Core.Platforms;

/// <summary>
/// What Authenticode changes in a PE it signs: the optional header's checksum and certificate-table
/// entry, and a certificate table appended at the end of the file (after up to 7 zeros aligning it
/// to 8). BTM's formats that end a PE with their own trailer (binpress, psp) are read "as packed":
/// without those, so the signature and the format's own checks both hold. The C twin is
/// packages/bin-stub/src/pe_signed.h.
/// </summary>
public static class PeSignature
{
    /// <summary>How much of a file's start <see cref="Fields"/> and <see cref="CertificateTable"/> need at most.</summary>
    public const int HeadSize = 4096;

    /// <summary>Where the checksum and the certificate-table entry are in a PE starting with <paramref name="head"/>; null when it is no PE with them.</summary>
    public static (int Checksum, int Security)? Fields(ReadOnlySpan<byte> head)
    {
        if (head.Length < 0x40 || head[0] != 'M' || head[1] != 'Z')
            return null;
        long pe = BinaryPrimitives.ReadUInt32LittleEndian(head[0x3c..]), opt = pe + 24;
        if (opt + 2 > head.Length || !head.Slice((int)pe, 4).SequenceEqual("PE\0\0"u8))
            return null;
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(head[(int)opt..]);
        long dirs = magic == 0x20b ? 112 : magic == 0x10b ? 96 : 0;
        if (dirs == 0 || opt + dirs + 5 * 8 > head.Length || BinaryPrimitives.ReadUInt32LittleEndian(head[(int)(opt + dirs - 4)..]) < 5)
            return null;
        return ((int)opt + 64, (int)(opt + dirs + 4 * 8));
    }

    /// <summary>
    /// Where a certificate table appended to the file starts (it ends the file), or null when the
    /// file is no PE or the table is absent or elsewhere. The packed bytes end there, less the zeros
    /// that align the table: the caller tries each of up to 7 for its own magic.
    /// </summary>
    public static long? CertificateTable(ReadOnlySpan<byte> head, long fileLength, long minEnd)
    {
        if (Fields(head) is not { } fields)
            return null;
        long at = BinaryPrimitives.ReadUInt32LittleEndian(head[fields.Security..]), length = BinaryPrimitives.ReadUInt32LittleEndian(head[(fields.Security + 4)..]);
        return at != 0 && length != 0 && at + length == fileLength && at >= minEnd ? at : null;
    }

    /// <summary>
    /// The end of the packed bytes before a certificate table starting at <paramref name="table"/>:
    /// back over the aligning zeros (at most 7) until <paramref name="magic"/> starts
    /// <paramref name="trailerSize"/> bytes before. <paramref name="before"/> holds the file's bytes
    /// just before the table (at least trailerSize + 7 of them where the file has that many).
    /// </summary>
    public static long PackedEnd(ReadOnlySpan<byte> before, long table, int trailerSize, ReadOnlySpan<byte> magic)
    {
        var pad = 0;
        while (pad < 7 && before.Length - pad > trailerSize && !before.Slice(before.Length - pad - trailerSize, magic.Length).SequenceEqual(magic) && before[before.Length - pad - 1] == 0)
            pad++;
        return table - pad;
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Btm.Core.Inject;

/// <summary>
/// An ad-hoc code signature for a 64-bit Mach-O file, as a linker writes one: a SuperBlob holding
/// one CodeDirectory (version 0x20400, SHA-256, 4 KiB pages, flags adhoc | linker-signed) whose
/// page hashes cover the file up to the signature. arm64 macOS refuses to run a binary without
/// one. <see cref="Verify"/> recomputes every page hash (docs/binject.md).
/// </summary>
public static class AdHocSignature
{
    public const uint SuperBlobMagic = 0xfade0cc0, CodeDirectoryMagic = 0xfade0c02;
    public const uint Version = 0x20400, FlagAdHoc = 0x2, FlagLinkerSigned = 0x20000;
    public const int PageShift = 12, PageSize = 1 << PageShift, HashSize = 32, HeaderSize = 88;
    private const uint LcCodeSignature = 0x1d;

    private static uint U32(byte[] b, int at) => MachOFormat.U32(b, at);
    private static void U32(byte[] b, int at, uint v) => MachOFormat.U32(b, at, v);
    private static void U64(byte[] b, int at, ulong v) => MachOFormat.U64(b, at, v);

    private static MachOFormat.Segment? Segment(byte[] b, string name) => MachOFormat.Segments(b).FirstOrDefault(s => s.Name == name);

    /// <summary>Signs an unsigned image: adds LC_CODE_SIGNATURE, grows __LINKEDIT, appends the signature.</summary>
    public static byte[] Sign(byte[] image, string identifier)
    {
        if (MachOFormat.Commands(image).Any(c => c.Cmd == LcCodeSignature))
            throw new InvalidOperationException("the image is already signed; drop the old signature first");
        var commandsEnd = 32 + (int)U32(image, 20);
        var firstSection = MachOFormat.FirstSectionOffset(image);
        if (commandsEnd + 16 > firstSection)
            throw new InjectException("no room for LC_CODE_SIGNATURE before the first section (relink with -headerpad 0x1000)");
        var linkedit = Segment(image, "__LINKEDIT") ?? throw new InjectException("no __LINKEDIT segment: not a linked executable");
        var text = Segment(image, "__TEXT") ?? throw new InjectException("no __TEXT segment: not a linked executable");

        var codeLimit = (image.Length + 15) & ~15;
        var slots = (codeLimit + PageSize - 1) / PageSize;
        var ident = Encoding.UTF8.GetBytes(identifier + "\0");
        var directoryLength = HeaderSize + ident.Length + slots * HashSize;
        var blobLength = (12 + 8 + directoryLength + 15) & ~15;

        var output = new byte[codeLimit + blobLength];
        image.CopyTo(output, 0);
        U32(output, commandsEnd, LcCodeSignature);
        U32(output, commandsEnd + 4, 16);
        U32(output, commandsEnd + 8, (uint)codeLimit);
        U32(output, commandsEnd + 12, (uint)blobLength);
        U32(output, 16, U32(output, 16) + 1);
        U32(output, 20, U32(output, 20) + 16);
        var linkeditSize = (ulong)(codeLimit + blobLength) - linkedit.FileOff;
        U64(output, linkedit.Command + 48, linkeditSize);
        U64(output, linkedit.Command + 32, (linkeditSize + MachOFormat.SegmentAlign - 1) / MachOFormat.SegmentAlign * MachOFormat.SegmentAlign);

        var blob = output.AsSpan(codeLimit);
        BinaryPrimitives.WriteUInt32BigEndian(blob, SuperBlobMagic);
        BinaryPrimitives.WriteUInt32BigEndian(blob[4..], (uint)blobLength);
        BinaryPrimitives.WriteUInt32BigEndian(blob[8..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(blob[12..], 0); // slot 0: the CodeDirectory
        BinaryPrimitives.WriteUInt32BigEndian(blob[16..], 20);
        var cd = blob[20..];
        var hashOffset = HeaderSize + ident.Length;
        BinaryPrimitives.WriteUInt32BigEndian(cd, CodeDirectoryMagic);
        BinaryPrimitives.WriteUInt32BigEndian(cd[4..], (uint)directoryLength);
        BinaryPrimitives.WriteUInt32BigEndian(cd[8..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(cd[12..], FlagAdHoc | FlagLinkerSigned);
        BinaryPrimitives.WriteUInt32BigEndian(cd[16..], (uint)hashOffset);
        BinaryPrimitives.WriteUInt32BigEndian(cd[20..], HeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(cd[24..], 0); // special slots
        BinaryPrimitives.WriteUInt32BigEndian(cd[28..], (uint)slots);
        BinaryPrimitives.WriteUInt32BigEndian(cd[32..], (uint)codeLimit);
        cd[36] = HashSize;
        cd[37] = 2; // SHA-256
        cd[38] = 0; // platform
        cd[39] = PageShift;
        // spare2, scatterOffset, teamOffset, spare3, codeLimit64 stay zero.
        BinaryPrimitives.WriteUInt64BigEndian(cd[64..], text.FileOff);
        BinaryPrimitives.WriteUInt64BigEndian(cd[72..], text.FileSize);
        BinaryPrimitives.WriteUInt64BigEndian(cd[80..], U32(output, 12) == 2 ? 1UL : 0UL); // CS_EXECSEG_MAIN_BINARY for MH_EXECUTE
        ident.CopyTo(cd[HeaderSize..]);
        for (var i = 0; i < slots; i++)
        {
            var start = i * PageSize;
            SHA256.HashData(output.AsSpan(start, Math.Min(PageSize, codeLimit - start)), cd[(hashOffset + i * HashSize)..]);
        }
        return output;
    }

    /// <summary>Checks a signed image's CodeDirectory: where it is, its fields, and every page hash.</summary>
    public static IReadOnlyList<string> Verify(byte[] b)
    {
        var problems = new List<string>();
        MachOFormat.Command? signature;
        try
        {
            signature = MachOFormat.Commands(b).FirstOrDefault(c => c.Cmd == LcCodeSignature);
        }
        catch (InjectException e)
        {
            return [e.Message];
        }
        if (signature is null)
            return ["no LC_CODE_SIGNATURE: unsigned (arm64 macOS will not run it)"];
        var offset = (int)U32(b, signature.Offset + 8);
        var size = (int)U32(b, signature.Offset + 12);
        if (offset + size > b.Length || size < 20)
            return [$"the signature ({size} bytes at {offset}) lies outside the file"];
        var blob = b.AsSpan(offset, size);
        if (BinaryPrimitives.ReadUInt32BigEndian(blob) != SuperBlobMagic)
            return ["the signature is not a SuperBlob"];
        var count = BinaryPrimitives.ReadUInt32BigEndian(blob[8..]);
        var cdAt = -1;
        for (var i = 0; i < count; i++)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(blob[(12 + i * 8)..]) == 0)
                cdAt = (int)BinaryPrimitives.ReadUInt32BigEndian(blob[(16 + i * 8)..]);
        }
        if (cdAt < 0 || BinaryPrimitives.ReadUInt32BigEndian(blob[cdAt..]) != CodeDirectoryMagic)
            return ["no CodeDirectory in the signature"];
        var cd = blob[cdAt..];
        var hashOffset = (int)BinaryPrimitives.ReadUInt32BigEndian(cd[16..]);
        var slots = (int)BinaryPrimitives.ReadUInt32BigEndian(cd[28..]);
        var codeLimit = (int)BinaryPrimitives.ReadUInt32BigEndian(cd[32..]);
        if (cd[37] != 2 || cd[36] != HashSize)
            problems.Add($"hash type {cd[37]} size {cd[36]}; expected SHA-256 (2, 32)");
        var pageSize = 1 << cd[39];
        if (codeLimit != offset)
            problems.Add($"codeLimit {codeLimit} is not the signature's offset {offset}");
        if (slots != (codeLimit + pageSize - 1) / pageSize)
            problems.Add($"{slots} page hashes for {codeLimit} bytes of {pageSize}-byte pages");
        if ((BinaryPrimitives.ReadUInt32BigEndian(cd[12..]) & FlagAdHoc) == 0)
            problems.Add("the CodeDirectory is not marked ad-hoc");
        Span<byte> hash = stackalloc byte[32];
        var bad = 0;
        for (var i = 0; i < slots && hashOffset + (i + 1) * HashSize <= cd.Length; i++)
        {
            var start = i * pageSize;
            SHA256.HashData(b.AsSpan(start, Math.Min(pageSize, codeLimit - start)), hash);
            if (!hash.SequenceEqual(cd.Slice(hashOffset + i * HashSize, HashSize)))
                bad++;
        }
        if (bad > 0)
            problems.Add($"{bad} of {slots} page hashes do not match the file");
        return problems;
    }
}

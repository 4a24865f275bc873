using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Inject;

/// <summary>
/// 64-bit Mach-O (darwin-x64, darwin-arm64): the resources as sections (<c>__NAME</c>) of a new
/// segment (postject's <c>__POSTJECT</c> by default) placed where __LINKEDIT began; __LINKEDIT and
/// every offset into it move up by the segment's size. The old code signature is dropped and a
/// new ad-hoc one written (<see cref="AdHocSignature"/>): arm64 macOS runs nothing unsigned
/// (docs/binject.md).
/// </summary>
public sealed class MachOFormat : IExecutableFormat
{
    public const uint Magic64 = 0xfeedfacf;
    private const uint LcSegment64 = 0x19, LcSymtab = 0x2, LcDysymtab = 0xb, LcCodeSignature = 0x1d;
    private const uint LcDyldInfo = 0x22, LcDyldInfoOnly = 0x80000022;

    /// <summary>linkedit_data_command kinds: {cmd, cmdsize, dataoff, datasize}.</summary>
    private static readonly HashSet<uint> LinkeditData =
    [
        0x1e /* SEGMENT_SPLIT_INFO */, 0x26 /* FUNCTION_STARTS */, 0x29 /* DATA_IN_CODE */, 0x2b /* DYLIB_CODE_SIGN_DRS */,
        0x2e /* LINKER_OPTIMIZATION_HINT */, 0x36 /* ATOM_INFO */, 0x80000033 /* DYLD_EXPORTS_TRIE */, 0x80000034 /* DYLD_CHAINED_FIXUPS */,
    ];

    /// <summary>Segments start on 16 KiB boundaries: arm64 macOS's page size (x64's 4 KiB divides it).</summary>
    public const uint SegmentAlign = 0x4000;

    public string Name => "Mach-O";

    public bool Recognizes(ReadOnlySpan<byte> head) => head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == Magic64;

    internal sealed record Command(int Offset, uint Cmd, uint Size);

    internal sealed record Segment(int Command, string Name, ulong VmAddr, ulong VmSize, ulong FileOff, ulong FileSize, uint NSects);

    internal static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    internal static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
    internal static void U32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    internal static void U64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
    private static string Name16(byte[] b, int at) => Encoding.ASCII.GetString(b.AsSpan(at, 16)).TrimEnd('\0');

    internal static List<Command> Commands(byte[] b)
    {
        if (b.Length < 32 || U32(b, 0) != Magic64)
            throw new InjectException("only 64-bit little-endian Mach-O files are supported (not a fat/universal binary: thin it with lipo first)");
        var count = U32(b, 16);
        var list = new List<Command>();
        var at = 32;
        for (var i = 0; i < count; i++)
        {
            if (at + 8 > b.Length)
                throw new InjectException("the load commands run past the end of the file (truncated?)");
            var cmd = new Command(at, U32(b, at), U32(b, at + 4));
            if (cmd.Size < 8 || at + cmd.Size > b.Length)
                throw new InjectException("a load command has an impossible size (a damaged file?)");
            list.Add(cmd);
            at += (int)cmd.Size;
        }
        return list;
    }

    internal static List<Segment> Segments(byte[] b) => Commands(b).Where(c => c.Cmd == LcSegment64)
        .Select(c => new Segment(c.Offset, Name16(b, c.Offset + 8), U64(b, c.Offset + 24), U64(b, c.Offset + 32), U64(b, c.Offset + 40), U64(b, c.Offset + 48), U32(b, c.Offset + 64)))
        .ToList();

    /// <summary>Where the first section's data starts: load commands must end before it.</summary>
    internal static uint FirstSectionOffset(byte[] b) => Segments(b)
        .SelectMany(s => Enumerable.Range(0, (int)s.NSects).Select(i => U32(b, s.Command + 72 + i * 80 + 48)))
        .Where(o => o != 0).DefaultIfEmpty((uint)b.Length).Min();

    private static string SectionName(string resource) => resource.StartsWith("__", StringComparison.Ordinal) ? resource : "__" + resource;

    public IReadOnlyList<ResourceInfo> List(byte[] image, InjectOptions options)
    {
        var segment = Segments(image).FirstOrDefault(s => s.Name == options.MachOSegment);
        if (segment is null)
            return [];
        return Enumerable.Range(0, (int)segment.NSects).Select(i =>
        {
            var s = segment.Command + 72 + i * 80;
            var data = image.AsSpan((int)U32(image, s + 48), (int)U64(image, s + 40));
            return new ResourceInfo(Name16(image, s), data.Length, IO.Sha256.Hex(System.Security.Cryptography.SHA256.HashData(data)), $"section of {options.MachOSegment}");
        }).ToList();
    }

    public byte[] Inject(byte[] image, IReadOnlyList<InjectedResource> resources, InjectOptions options)
    {
        if (Encoding.ASCII.GetByteCount(options.MachOSegment) > 16)
            throw new InjectException($"--macho-segment {options.MachOSegment}: a segment name has at most 16 characters");
        foreach (var r in resources.Where(r => SectionName(r.Name).Length > 16))
            throw new InjectException($"resource {r.Name}: a Mach-O section name (__{r.Name}) has at most 16 characters");
        var kept = new List<InjectedResource>();
        var b = image;
        if (Segments(b).FirstOrDefault(s => s.Name == options.MachOSegment) is { } previous)
        {
            foreach (var info in List(b, options))
            {
                var s = previous.Command + 72 + kept.Count * 80;
                kept.Add(new InjectedResource(info.Name, b.AsSpan((int)U32(b, s + 48), (int)info.Size).ToArray()));
            }
            b = RemoveSegment(b, previous);
        }
        b = DropSignature(b);
        var all = kept.Where(k => resources.All(r => SectionName(r.Name) != k.Name))
            .Concat(resources.Select(r => r with { Name = SectionName(r.Name) })).ToList();
        b = AddSegment(b, options.MachOSegment, all);
        return AdHocSignature.Sign(b, Identifier);
    }

    /// <summary>The signature's identifier: the file name is not known here, and ad-hoc signatures need no particular one.</summary>
    private const string Identifier = "btm-binject";

    /// <summary>Takes a segment binject added out again: its bytes, its command, and __LINKEDIT moves back down.</summary>
    private static byte[] RemoveSegment(byte[] b, Segment segment)
    {
        var linkedit = Linkedit(b);
        if (linkedit.FileOff != segment.FileOff + segment.FileSize)
            throw new InjectException($"segment {segment.Name} is not right before __LINKEDIT: it was not written by binject, so it is left alone; use another --macho-segment");
        var delta = (long)segment.FileSize;
        var output = new byte[b.Length - delta];
        b.AsSpan(0, (int)segment.FileOff).CopyTo(output);
        b.AsSpan((int)(segment.FileOff + segment.FileSize)).CopyTo(output.AsSpan((int)segment.FileOff));
        ShiftLinkedit(output, -delta, -(long)segment.VmSize);
        RemoveCommand(output, Commands(output).Single(c => c.Offset == segment.Command));
        return output;
    }

    private static Segment Linkedit(byte[] b) =>
        Segments(b).SingleOrDefault(s => s.Name == "__LINKEDIT")
        ?? throw new InjectException("no __LINKEDIT segment among the load commands: a damaged Mach-O file (every linked executable has one)");

    private static void RemoveCommand(byte[] b, Command command)
    {
        var end = 32 + (int)U32(b, 20);
        b.AsSpan(command.Offset + (int)command.Size, end - command.Offset - (int)command.Size).CopyTo(b.AsSpan(command.Offset));
        b.AsSpan(end - (int)command.Size, (int)command.Size).Clear();
        U32(b, 16, U32(b, 16) - 1);
        U32(b, 20, U32(b, 20) - command.Size);
    }

    /// <summary>Removes LC_CODE_SIGNATURE and the signature bytes at the end of __LINKEDIT.</summary>
    private static byte[] DropSignature(byte[] b)
    {
        var signature = Commands(b).FirstOrDefault(c => c.Cmd == LcCodeSignature);
        if (signature is null)
            return b;
        var offset = U32(b, signature.Offset + 8);
        RemoveCommand(b, signature);
        var linkedit = Linkedit(b);
        var output = b.AsSpan(0, (int)offset).ToArray();
        U64(output, linkedit.Command + 48, offset - linkedit.FileOff);
        return output;
    }

    /// <summary>Moves __LINKEDIT and every offset into it by <paramref name="fileDelta"/> (and its address by <paramref name="vmDelta"/>).</summary>
    private static void ShiftLinkedit(byte[] b, long fileDelta, long vmDelta)
    {
        foreach (var c in Commands(b))
        {
            void Shift(int field)
            {
                var v = U32(b, c.Offset + field);
                if (v != 0)
                    U32(b, c.Offset + field, (uint)(v + fileDelta));
            }
            if (c.Cmd == LcSegment64 && Name16(b, c.Offset + 8) == "__LINKEDIT")
            {
                U64(b, c.Offset + 24, (ulong)((long)U64(b, c.Offset + 24) + vmDelta));
                U64(b, c.Offset + 40, (ulong)((long)U64(b, c.Offset + 40) + fileDelta));
            }
            else if (c.Cmd == LcSymtab)
            {
                Shift(8);
                Shift(16);
            }
            else if (c.Cmd == LcDysymtab)
            {
                foreach (var field in new[] { 32, 40, 48, 56, 64, 72 })
                    Shift(field);
            }
            else if (c.Cmd is LcDyldInfo or LcDyldInfoOnly)
            {
                foreach (var field in new[] { 8, 16, 24, 32, 40 })
                    Shift(field);
            }
            else if (LinkeditData.Contains(c.Cmd) || c.Cmd == LcCodeSignature)
            {
                Shift(8);
            }
        }
    }

    private static byte[] AddSegment(byte[] b, string segmentName, IReadOnlyList<InjectedResource> resources)
    {
        var commands = Commands(b);
        var segments = Segments(b);
        var linkedit = segments.SingleOrDefault(s => s.Name == "__LINKEDIT")
            ?? throw new InjectException("no __LINKEDIT segment: not a linked executable");
        var size = (uint)(72 + resources.Count * 80);
        // The new command goes where the load commands end; the first section's data must start after it.
        var firstData = FirstSectionOffset(b);
        var commandsEnd = 32 + U32(b, 20);
        if (commandsEnd + size > firstData)
            throw new InjectException($"no room for another load command ({size} bytes) before the first section (relink with -headerpad 0x1000)");

        var layout = new List<(InjectedResource Resource, ulong Offset)>();
        ulong pos = 0;
        foreach (var r in resources)
        {
            pos = (pos + 15) & ~15UL;
            layout.Add((r, pos));
            pos += (ulong)r.Data.Length;
        }
        var segmentSize = (pos + SegmentAlign - 1) / SegmentAlign * SegmentAlign;
        var fileOff = linkedit.FileOff;
        var vmAddr = linkedit.VmAddr;

        var output = new byte[b.Length + (long)segmentSize];
        b.AsSpan(0, (int)fileOff).CopyTo(output);
        b.AsSpan((int)fileOff).CopyTo(output.AsSpan((int)(fileOff + segmentSize)));
        foreach (var (r, offset) in layout)
            r.Data.CopyTo(output, (int)(fileOff + offset));
        ShiftLinkedit(output, (long)segmentSize, (long)segmentSize);

        // Insert the command right before __LINKEDIT's, moving the rest of the commands up.
        var at = linkedit.Command;
        output.AsSpan(at, (int)(commandsEnd - at)).CopyTo(output.AsSpan(at + (int)size));
        var c = output.AsSpan(at, (int)size);
        c.Clear();
        U32(output, at, LcSegment64);
        U32(output, at + 4, size);
        Encoding.ASCII.GetBytes(segmentName).CopyTo(c[8..]);
        U64(output, at + 24, vmAddr);
        U64(output, at + 32, segmentSize);
        U64(output, at + 40, fileOff);
        U64(output, at + 48, segmentSize);
        U32(output, at + 56, 1); // maxprot r
        U32(output, at + 60, 1); // initprot r
        U32(output, at + 64, (uint)resources.Count);
        for (var i = 0; i < layout.Count; i++)
        {
            var s = at + 72 + i * 80;
            Encoding.ASCII.GetBytes(layout[i].Resource.Name).CopyTo(output.AsSpan(s));
            Encoding.ASCII.GetBytes(segmentName).CopyTo(output.AsSpan(s + 16));
            U64(output, s + 32, vmAddr + layout[i].Offset);
            U64(output, s + 40, (ulong)layout[i].Resource.Data.Length);
            U32(output, s + 48, (uint)(fileOff + layout[i].Offset));
            U32(output, s + 52, 4); // 2^4 alignment
        }
        U32(output, 16, U32(output, 16) + 1);
        U32(output, 20, U32(output, 20) + size);
        return output;
    }
}

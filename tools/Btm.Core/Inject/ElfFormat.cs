using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Inject;

/// <summary>
/// ELF64 little-endian (x64, arm64): resources as notes in a new PT_NOTE segment, mapped by a new
/// PT_LOAD at the end of the file, which also carries the grown program header table. Every
/// existing byte, segment offset and address stays; only e_phoff and e_phnum change
/// (docs/binject.md). Node finds a resource by walking the main program's PT_NOTE segments in
/// memory (dl_iterate_phdr), so the notes must be loaded, hence the PT_LOAD.
/// </summary>
public sealed class ElfFormat : IExecutableFormat
{
    public const uint PtLoad = 1, PtNote = 4, PtPhdr = 6;
    private const int PhdrSize = 56;
    private const uint PfR = 4;

    /// <summary>The region binject appends starts with this header, so a later run can take it off again.</summary>
    public static ReadOnlySpan<byte> RegionMagic => "BTMINJ01"u8;
    public const int RegionHeaderSize = 24;

    /// <summary>The note type binject writes (readers match by name; the type only has to be stable).</summary>
    public const uint NoteType = 0x4a4d5442; // "BTMJ"

    public string Name => "ELF";

    public bool Recognizes(ReadOnlySpan<byte> head) => head.Length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';

    private sealed record Phdr(uint Type, uint Flags, ulong Offset, ulong Vaddr, ulong Paddr, ulong Filesz, ulong Memsz, ulong Align)
    {
        public void Write(Span<byte> b)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, Type);
            BinaryPrimitives.WriteUInt32LittleEndian(b[4..], Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(b[8..], Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(b[16..], Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(b[24..], Paddr);
            BinaryPrimitives.WriteUInt64LittleEndian(b[32..], Filesz);
            BinaryPrimitives.WriteUInt64LittleEndian(b[40..], Memsz);
            BinaryPrimitives.WriteUInt64LittleEndian(b[48..], Align);
        }

        public static Phdr Read(ReadOnlySpan<byte> b) => new(
            BinaryPrimitives.ReadUInt32LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[8..]), BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[24..]), BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[40..]), BinaryPrimitives.ReadUInt64LittleEndian(b[48..]));
    }

    private static void Check(byte[] image)
    {
        if (image.Length < 64)
            throw new InjectException("the ELF file is shorter than its header (truncated?)");
        if (image[4] != 2 || image[5] != 1)
            throw new InjectException($"only 64-bit little-endian ELF files are supported (this one is {(image[4] == 1 ? "32-bit" : "64-bit")}, {(image[5] == 2 ? "big" : "little")}-endian)");
        if (BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x36)) != PhdrSize)
            throw new InjectException("unexpected program header size (not a standard ELF64 file)");
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x20));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x38));
        if (phoff == 0 || phoff + (ulong)phnum * PhdrSize > (ulong)image.Length)
            throw new InjectException("the program header table lies outside the file (truncated?)");
    }

    private static List<Phdr> Phdrs(byte[] image)
    {
        var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x20));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x38));
        return Enumerable.Range(0, phnum).Select(i => Phdr.Read(image.AsSpan(phoff + i * PhdrSize, PhdrSize))).ToList();
    }

    /// <summary>The original file and its resources when binject wrote into it before; null otherwise.</summary>
    private static (byte[] Original, List<InjectedResource> Resources)? Uninject(byte[] image)
    {
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x20));
        if (phoff < RegionHeaderSize || phoff > (ulong)image.Length || !image.AsSpan((int)phoff - RegionHeaderSize, 8).SequenceEqual(RegionMagic))
            return null;
        var region = (int)phoff - RegionHeaderSize;
        var originalPhoff = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(region + 8));
        var originalLength = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(region + 16));
        if (originalLength > (ulong)region || originalPhoff >= originalLength)
            throw new InjectException("a binject region is there but its header is damaged; start again from the original binary");
        var resources = Notes(image, Phdrs(image).Where(p => p.Type == PtNote && p.Offset >= (ulong)region))
            .Select(n => new InjectedResource(n.Name, image.AsSpan(n.DescOffset, n.DescSize).ToArray())).ToList();
        var original = image.AsSpan(0, (int)originalLength).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(original.AsSpan(0x20), originalPhoff);
        BinaryPrimitives.WriteUInt16LittleEndian(original.AsSpan(0x38), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x38)) - 2));
        return (original, resources);
    }

    private sealed record Note(string Name, uint Type, int DescOffset, int DescSize, bool Ours);

    private static IEnumerable<Note> Notes(byte[] image, IEnumerable<Phdr> segments)
    {
        foreach (var segment in segments)
        {
            var pos = (long)segment.Offset;
            var end = pos + (long)segment.Filesz;
            if (end > image.Length)
                throw new InjectException($"a PT_NOTE segment runs past the end of the file (truncated?)");
            while (pos + 12 <= end)
            {
                var namesz = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)pos));
                var descsz = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)pos + 4));
                var type = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)pos + 8));
                var desc = pos + 12 + Align4(namesz);
                if (desc + descsz > end)
                    break;
                var name = Encoding.UTF8.GetString(image.AsSpan((int)pos + 12, (int)namesz)).TrimEnd('\0');
                yield return new Note(name, type, (int)desc, (int)descsz, type == NoteType);
                pos = desc + Align4(descsz);
            }
        }
    }

    private static long Align4(long n) => (n + 3) & ~3L;

    private static ulong AlignUp(ulong n, ulong a) => (n + a - 1) / a * a;

    public IReadOnlyList<ResourceInfo> List(byte[] image, InjectOptions options)
    {
        Check(image);
        return Notes(image, Phdrs(image).Where(p => p.Type == PtNote))
            .Where(n => n.DescSize > 0)
            .Select(n => new ResourceInfo(n.Name, n.DescSize, IO.Sha256.Hex(System.Security.Cryptography.SHA256.HashData(image.AsSpan(n.DescOffset, n.DescSize))),
                n.Ours ? "binject note" : "note")).ToList();
    }

    public byte[] Inject(byte[] image, IReadOnlyList<InjectedResource> resources, InjectOptions options)
    {
        Check(image);
        var kept = new List<InjectedResource>();
        if (Uninject(image) is { } previous)
        {
            image = previous.Original;
            kept = previous.Resources;
        }
        var all = kept.Where(k => resources.All(r => r.Name != k.Name)).Concat(resources).ToList();
        var phdrs = Phdrs(image);
        var loads = phdrs.Where(p => p.Type == PtLoad).ToList();
        if (loads.Count == 0)
            throw new InjectException("the ELF file has no loadable segment: it is not an executable (a relocatable object?)");

        var notes = new MemoryStream();
        var header = new byte[12];
        foreach (var resource in all)
        {
            var name = Encoding.UTF8.GetBytes(resource.Name + "\0");
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)resource.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), NoteType);
            notes.Write(header);
            notes.Write(name);
            notes.Write(new byte[Align4(name.Length) - name.Length]);
            notes.Write(resource.Data);
            notes.Write(new byte[Align4(resource.Data.Length) - resource.Data.Length]);
        }

        // The new segment keeps the first PT_LOAD's offset-to-address distance, so the program
        // header table's address is load base + e_phoff: how kernels before 5.18 and qemu-user
        // compute AT_PHDR. It must start past every existing segment; a file shorter than the
        // memory image (a large .bss) is padded up to there.
        var first = loads.OrderBy(l => l.Vaddr).First();
        var align = Math.Max(0x1000UL, loads.Max(l => l.Align));
        var delta = first.Vaddr - first.Offset;
        var region = Math.Max(AlignUp((ulong)image.Length, 8), AlignUp(loads.Max(l => l.Vaddr + l.Memsz), align) - delta);
        var phnum = phdrs.Count + 2;
        var tableOffset = region + RegionHeaderSize;
        var notesOffset = tableOffset + (ulong)(phnum * PhdrSize);
        var regionSize = notesOffset - region + (ulong)notes.Length;
        var vaddr = region + delta;
        var load = new Phdr(PtLoad, PfR, region, vaddr, vaddr, regionSize, regionSize, align);
        var note = new Phdr(PtNote, PfR, notesOffset, vaddr + (notesOffset - region), vaddr + (notesOffset - region), (ulong)notes.Length, (ulong)notes.Length, 4);

        var table = new List<Phdr>();
        var lastLoad = phdrs.FindLastIndex(p => p.Type == PtLoad);
        for (var i = 0; i < phdrs.Count; i++)
        {
            var p = phdrs[i];
            table.Add(p.Type == PtPhdr
                ? p with { Offset = tableOffset, Vaddr = vaddr + RegionHeaderSize, Paddr = vaddr + RegionHeaderSize, Filesz = (ulong)(phnum * PhdrSize), Memsz = (ulong)(phnum * PhdrSize) }
                : p);
            if (i == lastLoad)
                table.Add(load);
        }
        table.Add(note);

        var output = new byte[region + regionSize];
        image.CopyTo(output, 0);
        var originalPhoff = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x20));
        RegionMagic.CopyTo(output.AsSpan((int)region));
        BinaryPrimitives.WriteUInt64LittleEndian(output.AsSpan((int)region + 8), originalPhoff);
        BinaryPrimitives.WriteUInt64LittleEndian(output.AsSpan((int)region + 16), (ulong)image.Length);
        for (var i = 0; i < table.Count; i++)
            table[i].Write(output.AsSpan((int)tableOffset + i * PhdrSize, PhdrSize));
        notes.ToArray().CopyTo(output, (int)notesOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(output.AsSpan(0x20), tableOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(0x38), (ushort)phnum);
        return output;
    }
}

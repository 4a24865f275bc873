using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Inject;

/// <summary>
/// PE32+ (win32-x64): each resource as an RT_RCDATA entry named after it (upper case, as Node's
/// reader asks FindResourceA for it). The resource tree is read, the entry added or replaced, and
/// the whole tree written into a new last section, <c>.btmrsrc</c>, that the resource data
/// directory then points at; SizeOfImage and the checksum follow. An Authenticode signature
/// would no longer match, so it is removed (docs/binject.md).
/// </summary>
public sealed class PeFormat : IExecutableFormat
{
    public const string SectionName = ".rsrc";
    public const string OldSectionName = ".rsrcold";
    private const int RtRcdata = 10;
    private const int ResourceDirectory = 2, SecurityDirectory = 4;

    public string Name => "PE";

    public bool Recognizes(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 'M' && head[1] == 'Z';

    /// <summary>A resource directory key: a numeric id or a name.</summary>
    private sealed record Key(int Id, string? Name) : IComparable<Key>
    {
        public int CompareTo(Key? other) => (Name, other!.Name) switch
        {
            (not null, null) => -1,
            (null, not null) => 1,
            (not null, not null) => string.CompareOrdinal(Name, other.Name),
            _ => Id.CompareTo(other.Id),
        };

        public override string ToString() => Name ?? Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record Leaf(byte[] Data, uint CodePage);

    /// <summary>type → name → language → data: the three levels Windows resources always have.</summary>
    private sealed class Tree : SortedDictionary<Key, SortedDictionary<Key, SortedDictionary<Key, Leaf>>>;

    private sealed class Image(byte[] bytes)
    {
        public byte[] Bytes = bytes;
        public int PeOffset => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(0x3c));
        public int Coff => PeOffset + 4;
        public int Optional => Coff + 20;
        public int Sections => Optional + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(Coff + 16));
        public int SectionCount
        {
            get => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(Coff + 2));
            set => BinaryPrimitives.WriteUInt16LittleEndian(Bytes.AsSpan(Coff + 2), (ushort)value);
        }
        public uint SectionAlignment => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(Optional + 32));
        public uint FileAlignment => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(Optional + 36));
        public int Directory(int index) => Optional + 112 + index * 8;
        public (uint Rva, uint Size) ReadDirectory(int index) =>
            (BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(Directory(index))), BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(Directory(index) + 4)));
        public void WriteDirectory(int index, uint rva, uint size)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(Directory(index)), rva);
            BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(Directory(index) + 4), size);
        }

        public record struct Section(int Header, string Name, uint VirtualSize, uint VirtualAddress, uint RawSize, uint RawPointer);

        public Section ReadSection(int i)
        {
            var h = Sections + i * 40;
            var b = Bytes.AsSpan(h);
            return new Section(h, Encoding.ASCII.GetString(b[..8]).TrimEnd('\0'), BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
                BinaryPrimitives.ReadUInt32LittleEndian(b[12..]), BinaryPrimitives.ReadUInt32LittleEndian(b[16..]), BinaryPrimitives.ReadUInt32LittleEndian(b[20..]));
        }

        public IEnumerable<Section> AllSections => Enumerable.Range(0, SectionCount).Select(ReadSection);

        public int FileOffsetOf(uint rva)
        {
            foreach (var s in AllSections)
            {
                if (rva >= s.VirtualAddress && rva < s.VirtualAddress + Math.Max(s.VirtualSize, s.RawSize))
                {
                    var offset = rva - s.VirtualAddress;
                    if (offset >= s.RawSize)
                        throw new InjectException($"resource data at RVA 0x{rva:x} is not backed by file bytes in {s.Name}");
                    return (int)(s.RawPointer + offset);
                }
            }
            throw new InjectException($"RVA 0x{rva:x} is in no section (a damaged resource directory?)");
        }
    }

    private static Image Open(byte[] bytes)
    {
        if (bytes.Length < 0x40)
            throw new InjectException("the file is shorter than a DOS header (truncated?)");
        var image = new Image(bytes);
        if (image.PeOffset <= 0 || image.PeOffset + 24 > bytes.Length || !bytes.AsSpan(image.PeOffset, 4).SequenceEqual("PE\0\0"u8))
            throw new InjectException("an MZ file without a PE header: not a Windows executable");
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(image.Optional)) != 0x20b)
            throw new InjectException("only PE32+ (64-bit) executables are supported");
        return image;
    }

    private static Tree ReadTree(Image image)
    {
        var tree = new Tree();
        var (rva, size) = image.ReadDirectory(ResourceDirectory);
        if (rva == 0 || size == 0)
            return tree;
        var root = image.FileOffsetOf(rva);
        var b = image.Bytes;
        Key KeyAt(int entry)
        {
            var name = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(entry));
            if ((name & 0x80000000) == 0)
                return new Key((int)name, null);
            var at = root + (int)(name & 0x7fffffff);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
            return new Key(0, Encoding.Unicode.GetString(b.AsSpan(at + 2, length * 2)));
        }
        IEnumerable<(Key Key, uint Target)> Entries(int directory)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(directory + 12)) + BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(directory + 14));
            for (var i = 0; i < count; i++)
            {
                var entry = directory + 16 + i * 8;
                yield return (KeyAt(entry), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(entry + 4)));
            }
        }
        int Subdirectory(uint target) => (target & 0x80000000) != 0
            ? root + (int)(target & 0x7fffffff)
            : throw new InjectException("a resource directory level is missing (not type/name/language)");
        foreach (var (type, typeTarget) in Entries(root))
        {
            var names = tree[type] = new SortedDictionary<Key, SortedDictionary<Key, Leaf>>();
            foreach (var (name, nameTarget) in Entries(Subdirectory(typeTarget)))
            {
                var languages = names[name] = new SortedDictionary<Key, Leaf>();
                foreach (var (language, dataTarget) in Entries(Subdirectory(nameTarget)))
                {
                    if ((dataTarget & 0x80000000) != 0)
                        throw new InjectException("a resource tree deeper than type/name/language");
                    var entry = root + (int)dataTarget;
                    var dataRva = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(entry));
                    var dataSize = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(entry + 4));
                    var codePage = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(entry + 8));
                    languages[language] = new Leaf(b.AsSpan(image.FileOffsetOf(dataRva), dataSize).ToArray(), codePage);
                }
            }
        }
        return tree;
    }

    /// <summary>Lays the tree out as one section's bytes: directories, data entries, names, then the data.</summary>
    private static byte[] WriteTree(Tree tree, uint sectionRva)
    {
        // Sizes first, so every offset is known before anything is written.
        var directories = 1 + tree.Count + tree.Values.Sum(n => n.Count);
        var entries = tree.Count + tree.Values.Sum(n => n.Count) + tree.Values.Sum(n => n.Values.Sum(l => l.Count));
        var leaves = tree.Values.SelectMany(n => n.Values.SelectMany(l => l.Values)).ToList();
        var strings = tree.Keys.Concat(tree.Values.SelectMany(n => n.Keys)).Where(k => k.Name is not null).Select(k => k.Name!).Distinct().ToList();
        var dirBytes = directories * 16 + entries * 8;
        var dataEntryStart = dirBytes;
        var stringStart = dataEntryStart + leaves.Count * 16;
        var stringOffsets = new Dictionary<string, int>();
        var pos = stringStart;
        foreach (var s in strings)
        {
            stringOffsets[s] = pos;
            pos += 2 + s.Length * 2;
        }
        var dataStart = (pos + 7) & ~7;
        var dataOffsets = new List<int>();
        pos = dataStart;
        foreach (var leaf in leaves)
        {
            dataOffsets.Add(pos);
            pos = (pos + leaf.Data.Length + 7) & ~7;
        }
        var output = new byte[pos];

        var nextDirectory = 0;
        var nextLeaf = 0;
        int WriteDirectory<T>(SortedDictionary<Key, T> level, Func<T, uint> target)
        {
            var at = nextDirectory;
            nextDirectory += 16 + level.Count * 8;
            var named = level.Keys.Count(k => k.Name is not null);
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 12), (ushort)named);
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 14), (ushort)(level.Count - named));
            var i = 0;
            foreach (var (key, value) in level)
            {
                var entry = at + 16 + i++ * 8;
                BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(entry), key.Name is { } n ? 0x80000000u | (uint)stringOffsets[n] : (uint)key.Id);
                BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(entry + 4), target(value));
            }
            return at;
        }
        uint Leaf(Leaf leaf)
        {
            var index = nextLeaf++;
            var entry = dataEntryStart + index * 16;
            BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(entry), sectionRva + (uint)dataOffsets[index]);
            BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(entry + 4), (uint)leaf.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(entry + 8), leaf.CodePage);
            leaf.Data.CopyTo(output, dataOffsets[index]);
            return (uint)entry;
        }
        // Breadth-first would match rc.exe's layout, but any order is valid: each entry points at its child.
        WriteDirectory(tree, names => 0x80000000u | (uint)WriteDirectory(names, languages => 0x80000000u | (uint)WriteDirectory(languages, Leaf)));
        foreach (var (s, at) in stringOffsets)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at), (ushort)s.Length);
            Encoding.Unicode.GetBytes(s).CopyTo(output, at + 2);
        }
        return output;
    }

    public IReadOnlyList<ResourceInfo> List(byte[] bytes, InjectOptions options)
    {
        var tree = ReadTree(Open(bytes));
        var rcdata = tree.GetValueOrDefault(new Key(RtRcdata, null));
        if (rcdata is null)
            return [];
        return rcdata.SelectMany(n => n.Value.Select(l => new ResourceInfo(n.Key.ToString(), l.Value.Data.Length,
            IO.Sha256.Hex(System.Security.Cryptography.SHA256.HashData(l.Value.Data)), $"RT_RCDATA, language {l.Key}"))).ToList();
    }

    public byte[] Inject(byte[] bytes, IReadOnlyList<InjectedResource> resources, InjectOptions options)
    {
        var image = Open(bytes);
        var tree = ReadTree(image);
        var rcdata = tree.TryGetValue(new Key(RtRcdata, null), out var existing) ? existing : tree[new Key(RtRcdata, null)] = new();
        foreach (var resource in resources)
            rcdata[new Key(0, resource.Name.ToUpperInvariant())] = new SortedDictionary<Key, Leaf> { [new Key(0, null)] = new Leaf(resource.Data, 0) };

        // The tree is rewritten whole: a resource section that is last (binject's from an earlier
        // run, or the linker's) goes; one elsewhere stays as dead bytes under another name.
        // A signature would no longer match and is removed too.
        var length = image.Bytes.Length;
        var last = image.ReadSection(image.SectionCount - 1);
        var (resourceRva, _) = image.ReadDirectory(ResourceDirectory);
        if (resourceRva != 0 && last.VirtualAddress == resourceRva)
        {
            length = (int)last.RawPointer;
            image.Bytes.AsSpan(last.Header, 40).Clear();
            image.SectionCount--;
        }
        var (certificate, certificateSize) = image.ReadDirectory(SecurityDirectory);
        if (certificate != 0)
        {
            if (certificate + certificateSize >= length)
                length = Math.Min(length, (int)certificate);
            image.WriteDirectory(SecurityDirectory, 0, 0);
        }

        foreach (var old in image.AllSections.Where(x => x.Name == SectionName))
        {
            image.Bytes.AsSpan(old.Header, 8).Clear();
            Encoding.ASCII.GetBytes(OldSectionName).CopyTo(image.Bytes.AsSpan(old.Header));
        }
        var sections = image.AllSections.ToList();
        if (sections.Count == 0)
            throw new InjectException("NumberOfSections is 0: a damaged PE file (an executable has at least a code section)");
        if (!IsPowerOfTwo(image.SectionAlignment) || !IsPowerOfTwo(image.FileAlignment))
            throw new InjectException($"SectionAlignment {image.SectionAlignment} / FileAlignment {image.FileAlignment}: a damaged PE file (both must be powers of two)");
        var header = image.Sections + sections.Count * 40;
        var sizeOfHeaders = BinaryPrimitives.ReadUInt32LittleEndian(image.Bytes.AsSpan(image.Optional + 60));
        if (header + 40 > sizeOfHeaders || header + 40 > sections.Min(s => s.RawPointer == 0 ? uint.MaxValue : s.RawPointer))
            throw new InjectException("no room for another section header before the first section; this executable cannot take a resource section");
        var rva = AlignUp(sections.Max(s => s.VirtualAddress + Math.Max(s.VirtualSize, 1)), image.SectionAlignment);
        var raw = AlignUp((uint)length, image.FileAlignment);
        var content = WriteTree(tree, rva);
        var rawSize = AlignUp((uint)content.Length, image.FileAlignment);

        var output = new byte[raw + rawSize];
        image.Bytes.AsSpan(0, length).CopyTo(output);
        var result = new Image(output);
        var h = output.AsSpan(header, 40);
        h.Clear();
        Encoding.ASCII.GetBytes(SectionName).CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)content.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], rva);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], rawSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], raw);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], 0x40000040); // initialized data, readable
        result.SectionCount = sections.Count + 1;
        content.CopyTo(output, (int)raw);
        result.WriteDirectory(ResourceDirectory, rva, (uint)content.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(result.Optional + 56), AlignUp(rva + (uint)content.Length, image.SectionAlignment));
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(result.Optional + 64), Checksum(output, result.Optional + 64));
        return output;
    }

    private static uint AlignUp(uint n, uint a) => (n + a - 1) / a * a;

    private static bool IsPowerOfTwo(uint n) => n != 0 && (n & (n - 1)) == 0;

    /// <summary>The PE checksum (as imagehlp's CheckSumMappedFile): 16-bit one's-complement-style sum, the field itself skipped, plus the length.</summary>
    public static uint Checksum(byte[] file, int checksumOffset)
    {
        ulong sum = 0;
        for (var i = 0; i + 1 < file.Length; i += 2)
        {
            if (i == checksumOffset || i == checksumOffset + 2)
                continue;
            sum += BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(i));
            sum = (sum & 0xffff) + (sum >> 16);
        }
        if (file.Length % 2 == 1)
        {
            sum += file[^1];
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        return (uint)sum + (uint)file.Length;
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Platforms;

/// <summary>
/// The program interpreter (PT_INTERP) an ELF executable names: how a binary says which libc's
/// loader runs it (<c>/lib64/ld-linux-x86-64.so.2</c> for glibc, <c>/lib/ld-musl-*.so.1</c> for
/// musl, none when static). ELF header and program headers as the System V gABI lays them out.
/// </summary>
public static class ElfInterpreter
{
    private const uint PtInterp = 3;

    public enum Libc
    {
        /// <summary>Not an ELF file.</summary>
        NotElf,
        /// <summary>No interpreter: a static binary, which runs on either libc.</summary>
        Static,
        Glibc,
        Musl,
        /// <summary>An interpreter that is neither (Android's linker, for example).</summary>
        Other,
    }

    public static Libc Classify(string? interpreter, bool isElf) => !isElf ? Libc.NotElf
        : interpreter is null ? Libc.Static
        : interpreter.Contains("ld-musl", StringComparison.Ordinal) ? Libc.Musl
        : interpreter.Contains("ld-linux", StringComparison.Ordinal) ? Libc.Glibc
        : Libc.Other;

    /// <summary>Reads <paramref name="path"/>: whether it is ELF, and its interpreter path (null when static or not ELF).</summary>
    public static (bool IsElf, string? Interpreter) Read(string path)
    {
        using var file = File.OpenRead(path);
        return HeaderReader.Read(path, "ELF", () => Read(file));
    }

    public static (bool IsElf, string? Interpreter) Read(Stream file)
    {
        Span<byte> ident = stackalloc byte[64];
        if (file.Read(ident) < 52 || ident[0] != 0x7f || ident[1] != (byte)'E' || ident[2] != (byte)'L' || ident[3] != (byte)'F')
            return (false, null);
        var is64 = ident[4] == 2;
        var little = ident[5] == 1;
        ulong U(ReadOnlySpan<byte> b, int size) => size switch
        {
            2 => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
            4 => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
            _ => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
        };
        var phoff = is64 ? U(ident[32..], 8) : U(ident[28..], 4);
        var phentsize = (int)U(ident[(is64 ? 54 : 42)..], 2);
        var phnum = (int)U(ident[(is64 ? 56 : 44)..], 2);
        if (phentsize < (is64 ? 56 : 32) || phnum > 4096)
            return (true, null);
        var header = new byte[phentsize];
        for (var i = 0; i < phnum; i++)
        {
            if (phoff > (ulong)file.Length || (long)phoff + (long)(i + 1) * phentsize > file.Length)
                throw new InvalidDataException($"e_phoff/e_phnum: the program headers ({phnum} × {phentsize} at {phoff}) lie past the end of the file ({file.Length} bytes)");
            file.Position = (long)phoff + (long)i * phentsize;
            if (file.Read(header) < header.Length)
                return (true, null);
            if (U(header, 4) != PtInterp)
                continue;
            var offset = is64 ? U(header.AsSpan(8), 8) : U(header.AsSpan(4), 4);
            var size = is64 ? U(header.AsSpan(32), 8) : U(header.AsSpan(16), 4);
            if (size is 0 or > 4096)
                return (true, null);
            if (offset > (ulong)file.Length)
                throw new InvalidDataException($"PT_INTERP p_offset: the interpreter's name (at {offset}) lies past the end of the file ({file.Length} bytes)");
            var text = new byte[size];
            file.Position = (long)offset;
            var read = file.Read(text);
            return (true, Encoding.ASCII.GetString(text, 0, read).TrimEnd('\0'));
        }
        return (true, null);
    }
}

using System.Buffers.Binary;

namespace Btm.Core.Platforms;

/// <summary>
/// Which platform an executable is built for, read from its headers: ELF e_machine and program
/// interpreter (System V gABI), PE Machine (Microsoft PE/COFF), Mach-O cputype (mach-o/loader.h).
/// </summary>
public sealed record ExecutableTarget(string Os, string Cpu, ElfInterpreter.Libc Libc)
{
    public override string ToString() => Os == "linux"
        ? $"linux-{Cpu}{Libc switch { ElfInterpreter.Libc.Musl => "-musl", ElfInterpreter.Libc.Static => " (static)", ElfInterpreter.Libc.Other => " (an unknown program interpreter)", _ => "" }}"
        : $"{Os}-{Cpu}";

    /// <summary>Null for a file in none of the three formats, or for a cpu BTM does not target.</summary>
    public static ExecutableTarget? Read(string path) => HeaderReader.Read(path, "executable", () => ReadHeaders(path));

    /// <summary>A PE file's subsystem version (the oldest Windows it says it runs on: 6.0 is Vista, 10.0 is Windows 10); null for other files.</summary>
    public static Version? WindowsSubsystem(string path) => HeaderReader.Read(path, "executable", () =>
    {
        var head = new byte[4096];
        int length;
        using (var file = File.OpenRead(path))
            length = file.Read(head);
        var b = head.AsSpan(0, length);
        if (length < 0x40 || b[0] != 'M' || b[1] != 'Z')
            return null;
        var pe = (int)BinaryPrimitives.ReadUInt32LittleEndian(b[0x3c..]);
        // The optional header follows the 24-byte PE signature and file header; its subsystem version is at 48 in PE32 and PE32+ alike.
        if (pe < 0 || pe + 24 + 52 > length || !b.Slice(pe, 4).SequenceEqual("PE\0\0"u8))
            return null;
        return new Version(BinaryPrimitives.ReadUInt16LittleEndian(b[(pe + 24 + 48)..]), BinaryPrimitives.ReadUInt16LittleEndian(b[(pe + 24 + 50)..]));
    });

    private static ExecutableTarget? ReadHeaders(string path)
    {
        var head = new byte[4096];
        int length;
        using (var file = File.OpenRead(path))
            length = file.Read(head);
        var b = head.AsSpan(0, length);
        if (length >= 20 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F')
        {
            var machine = b[5] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(b[18..]) : BinaryPrimitives.ReadUInt16BigEndian(b[18..]);
            var cpu = machine switch { 0x3e => "x64", 0xb7 => "arm64", _ => null };
            if (cpu is null)
                return null;
            var (isElf, interpreter) = ElfInterpreter.Read(path);
            return new ExecutableTarget("linux", cpu, ElfInterpreter.Classify(interpreter, isElf));
        }
        if (length >= 0x40 && b[0] == 'M' && b[1] == 'Z')
        {
            var pe = (int)BinaryPrimitives.ReadUInt32LittleEndian(b[0x3c..]);
            if (pe + 6 > length || !b.Slice(pe, 4).SequenceEqual("PE\0\0"u8))
                return null;
            var cpu = BinaryPrimitives.ReadUInt16LittleEndian(b[(pe + 4)..]) switch { 0x8664 => "x64", 0xaa64 => "arm64", _ => null };
            return cpu is null ? null : new ExecutableTarget("win32", cpu, ElfInterpreter.Libc.NotElf);
        }
        if (length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(b) == 0xfeedfacf)
        {
            var cpu = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]) switch { 0x01000007 => "x64", 0x0100000c => "arm64", _ => null };
            return cpu is null ? null : new ExecutableTarget("darwin", cpu, ElfInterpreter.Libc.NotElf);
        }
        return null;
    }

    /// <summary>
    /// Why <paramref name="stub"/> cannot start <paramref name="input"/>'s platform, or null when it
    /// can: the same os and cpu, and on linux a stub that runs where the input runs (a static stub
    /// runs on either libc; a glibc stub does not start on a musl system, nor a musl one on glibc).
    /// </summary>
    public static string? Mismatch(ExecutableTarget stub, ExecutableTarget input)
    {
        if (stub.Os != input.Os || stub.Cpu != input.Cpu)
            return $"the stub is built for {stub} but the input is {input}";
        if (stub.Os == "linux" && stub.Libc != ElfInterpreter.Libc.Static && input.Libc != ElfInterpreter.Libc.Static && stub.Libc != input.Libc)
            return $"the stub is built for {stub} but the input is {input}";
        return null;
    }
}

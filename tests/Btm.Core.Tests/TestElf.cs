namespace Btm.Core.Tests;

/// <summary>A minimal ELF64 little-endian image: machine, and a PT_INTERP program header when an interpreter is given.</summary>
public static class TestElf
{
    public const ushort X64 = 0x3e;
    public const ushort Arm64 = 0xb7;

    public static byte[] Bytes(ushort machine, string? interpreter, int size = 4096)
    {
        var bytes = new byte[size];
        bytes[0] = 0x7f;
        "ELF"u8.ToArray().CopyTo(bytes, 1);
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[6] = 1;
        BitConverter.GetBytes(machine).CopyTo(bytes, 18);
        BitConverter.GetBytes(64UL).CopyTo(bytes, 32);
        BitConverter.GetBytes((ushort)56).CopyTo(bytes, 54);
        BitConverter.GetBytes((ushort)(interpreter is null ? 0 : 1)).CopyTo(bytes, 56);
        if (interpreter is not null)
        {
            BitConverter.GetBytes(3U).CopyTo(bytes, 64);
            BitConverter.GetBytes(200UL).CopyTo(bytes, 64 + 8);
            BitConverter.GetBytes((ulong)interpreter.Length + 1).CopyTo(bytes, 64 + 32);
            System.Text.Encoding.ASCII.GetBytes(interpreter).CopyTo(bytes, 200);
        }
        return bytes;
    }
}

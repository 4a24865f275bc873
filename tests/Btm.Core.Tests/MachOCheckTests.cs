using System.Buffers.Binary;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

/// <summary>Entry points MachOCheck accepts: LC_MAIN everywhere, LC_UNIXTHREAD (Go's darwin/amd64 linker writes it) on x64 only.</summary>
public class MachOCheckTests
{
    private const uint CpuX64 = 0x01000007;
    private const uint CpuArm64 = 0x0100000c;

    /// <summary>A 64-bit MH_EXECUTE header with one entry command and LC_BUILD_VERSION (macOS 11.0).</summary>
    private static byte[] Executable(uint cpu, uint entryCommand)
    {
        var entrySize = entryCommand == 0x80000028 ? 24 : 184;
        var bytes = new byte[32 + entrySize + 24];
        var s = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, 0xfeedfacf);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], cpu);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)(entrySize + 24));
        BinaryPrimitives.WriteUInt32LittleEndian(s[32..], entryCommand);
        BinaryPrimitives.WriteUInt32LittleEndian(s[36..], (uint)entrySize);
        var build = 32 + entrySize;
        BinaryPrimitives.WriteUInt32LittleEndian(s[build..], 0x32);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(build + 4)..], 24);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(build + 8)..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(build + 12)..], 11 << 16);
        return bytes;
    }

    private static IReadOnlyList<string> Problems(byte[] bytes, string cpu)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "app");
        File.WriteAllBytes(path, bytes);
        return MachOCheck.Check(path, cpu).Problems;
    }

    [Test]
    public void Lc_main_is_an_entry_point_on_both_cpus()
    {
        Assert.That(Problems(Executable(CpuX64, 0x80000028), "x64"), Is.Empty);
        Assert.That(Problems(Executable(CpuArm64, 0x80000028), "arm64"), Is.EqualTo(new[] { "app has no code signature (LC_CODE_SIGNATURE): macOS kills unsigned arm64 code" }));
    }

    [Test]
    public void Lc_unixthread_is_an_entry_point_on_x64_only()
    {
        Assert.That(Problems(Executable(CpuX64, 0x5), "x64"), Is.Empty);
        Assert.That(Problems(Executable(CpuArm64, 0x5), "arm64"), Has.Some.EqualTo("app has no entry point (LC_MAIN)"));
    }
}

using System.Buffers.Binary;

namespace Btm.Core.Platforms;

/// <summary>
/// What a darwin executable must be to start on a Mac, read from its Mach-O header and load
/// commands (Apple's mach-o/loader.h): a 64-bit executable for the right cpu, an entry point
/// (LC_MAIN; on x64 also LC_UNIXTHREAD), a minimum OS version, and on arm64 a code signature (the kernel kills unsigned
/// arm64 code). Used where no Mac can run it.
/// </summary>
public static class MachOCheck
{
    private const uint Magic64 = 0xfeedfacf;
    private const uint CpuX64 = 0x01000007;
    private const uint CpuArm64 = 0x0100000c;
    private const uint MhExecute = 2;
    private const uint LcMain = 0x80000028;
    private const uint LcUnixThread = 0x5;
    private const uint LcCodeSignature = 0x1d;
    private const uint LcVersionMinMacosx = 0x24;
    private const uint LcBuildVersion = 0x32;

    public sealed record Report(string Cpu, string? MinimumOs, bool Signed, IReadOnlyList<string> Problems);

    public static Report Check(string path, string expectedCpu)
    {
        var bytes = File.ReadAllBytes(path);
        return HeaderReader.Read(path, "Mach-O", () => Check(path, bytes, expectedCpu));
    }

    private static Report Check(string path, byte[] bytes, string expectedCpu)
    {
        var problems = new List<string>();
        if (bytes.Length < 32 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic64)
            return new Report("?", null, false, [$"{Path.GetFileName(path)} is not a 64-bit little-endian Mach-O file"]);
        var cputype = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        var cpu = cputype switch { CpuX64 => "x64", CpuArm64 => "arm64", _ => $"0x{cputype:x8}" };
        if (cpu != expectedCpu)
            problems.Add($"{Path.GetFileName(path)} is built for cpu {cpu}, not {expectedCpu}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)) != MhExecute)
            problems.Add($"{Path.GetFileName(path)} is not an executable (filetype is not MH_EXECUTE)");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16));
        var offset = 32;
        var hasMain = false;
        var signed = false;
        string? minimum = null;
        for (var i = 0; i < count && offset + 8 <= bytes.Length; i++)
        {
            var command = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4));
            if (size < 8 || offset + size > bytes.Length)
            {
                problems.Add($"{Path.GetFileName(path)}: load command {i} runs past the end of the file");
                break;
            }
            switch (command)
            {
                case LcMain:
                    hasMain = true;
                    break;
                // The older form, initial registers instead of an offset: Go's linker writes it for darwin/amd64, and macOS runs it there.
                case LcUnixThread when cpu == "x64":
                    hasMain = true;
                    break;
                case LcCodeSignature:
                    signed = true;
                    break;
                case LcBuildVersion when size >= 16:
                    minimum = Version(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12)));
                    break;
                case LcVersionMinMacosx when size >= 16:
                    minimum = Version(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)));
                    break;
            }
            offset += size;
        }
        if (!hasMain)
            problems.Add($"{Path.GetFileName(path)} has no entry point (LC_MAIN{(cpu == "x64" ? ", or LC_UNIXTHREAD" : "")})");
        if (minimum is null)
            problems.Add($"{Path.GetFileName(path)} names no minimum macOS version (LC_BUILD_VERSION)");
        if (cpu == "arm64" && !signed)
            problems.Add($"{Path.GetFileName(path)} has no code signature (LC_CODE_SIGNATURE): macOS kills unsigned arm64 code");
        return new Report(cpu, minimum, signed, problems);
    }

    // xxxx.yy.zz nibbles, as in LC_BUILD_VERSION's minos.
    private static string Version(uint packed) => $"{packed >> 16}.{(packed >> 8) & 0xff}.{packed & 0xff}";
}

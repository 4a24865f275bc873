using Btm.Core.Platforms;
using Btm.Core.Press;

namespace Btm.Core.Tests.Press;

/// <summary>binpress reads the platform of the input and of the stub from their headers and refuses a stub that could not start the input.</summary>
public class StubTargetTests
{
    private static byte[] Pe(ushort machine)
    {
        var bytes = new byte[512];
        bytes[0] = (byte)'M';
        bytes[1] = (byte)'Z';
        BitConverter.GetBytes(0x80).CopyTo(bytes, 0x3c);
        "PE\0\0"u8.ToArray().CopyTo(bytes, 0x80);
        BitConverter.GetBytes(machine).CopyTo(bytes, 0x84);
        return bytes;
    }

    private static byte[] MachO(uint cpu)
    {
        var bytes = new byte[512];
        BitConverter.GetBytes(0xfeedfacfU).CopyTo(bytes, 0);
        BitConverter.GetBytes(cpu).CopyTo(bytes, 4);
        return bytes;
    }

    private const string Glibc = "/lib64/ld-linux-x86-64.so.2";
    private const string Musl = "/lib/ld-musl-x86_64.so.1";

    [TestCase("x64-glibc", "linux-x64")]
    [TestCase("x64-musl", "linux-x64-musl")]
    [TestCase("x64-static", "linux-x64 (static)")]
    [TestCase("arm64-glibc", "linux-arm64")]
    [TestCase("pe-x64", "win32-x64")]
    [TestCase("macho-arm64", "darwin-arm64")]
    public void The_platform_is_read_from_the_headers(string kind, string expected)
    {
        using var dir = new TempDir();
        var path = dir.WriteBytes("file", Sample(kind));
        Assert.That(ExecutableTarget.Read(path)?.ToString(), Is.EqualTo(expected));
    }

    [TestCase("arm64-glibc", "x64-glibc", "the stub is built for linux-arm64 but the input is linux-x64")]
    [TestCase("x64-glibc", "x64-musl", "the stub is built for linux-x64 but the input is linux-x64-musl")]
    [TestCase("macho-arm64", "x64-glibc", "the stub is built for darwin-arm64 but the input is linux-x64")]
    [TestCase("pe-x64", "macho-arm64", "the stub is built for win32-x64 but the input is darwin-arm64")]
    public void A_stub_of_another_platform_is_refused_and_nothing_is_written(string stub, string input, string message)
    {
        using var dir = new TempDir();
        var stubPath = dir.WriteBytes("stub", Sample(stub));
        var inputPath = dir.WriteBytes("input", Sample(input));
        var output = Path.Combine(dir.Path, "out");
        var e = Assert.Throws<InvalidDataException>(() => Binpress.Compress(inputPath, stubPath, output, 1))!;
        Assert.That(e.Message, Does.StartWith(message).And.Contain("--package=bin-stub"));
        Assert.That(File.Exists(output), Is.False);
    }

    [TestCase("x64-static", "x64-musl")]
    [TestCase("x64-static", "x64-glibc")]
    [TestCase("x64-glibc", "x64-static")]
    [TestCase("x64-musl", "x64-musl")]
    public void A_stub_that_starts_where_the_input_runs_is_accepted(string stub, string input)
    {
        using var dir = new TempDir();
        var output = Path.Combine(dir.Path, "out");
        Binpress.Compress(dir.WriteBytes("input", Sample(input)), dir.WriteBytes("stub", Sample(stub)), output, 1);
        using var file = File.OpenRead(output);
        Assert.That(PressTrailer.Read(file).UncompressedSize, Is.EqualTo(4096));
    }

    private static byte[] Sample(string kind) => kind switch
    {
        "x64-glibc" => TestElf.Bytes(TestElf.X64, Glibc),
        "x64-musl" => TestElf.Bytes(TestElf.X64, Musl),
        "x64-static" => TestElf.Bytes(TestElf.X64, null),
        "arm64-glibc" => TestElf.Bytes(TestElf.Arm64, "/lib/ld-linux-aarch64.so.1"),
        "pe-x64" => Pe(0x8664),
        "macho-arm64" => MachO(0x0100000c),
        _ => throw new ArgumentException(kind),
    };
}

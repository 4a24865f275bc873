using System.Diagnostics;
using Btm.Core.Inject;
using Btm.Core.Platforms;

namespace Btm.Core.Tests.Inject;

/// <summary>
/// Every reader and writer of executable files against a corpus of damaged real executables
/// (truncated at every header boundary, header fields set to 0, -1, huge and negative values):
/// each either works or fails with BTM's own error naming the file, never an unhandled exception.
/// </summary>
public class DamagedInputTests
{
    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static string FindRepoRoot()
    {
        var dir = TestContext.CurrentContext.TestDirectory;
        while (!File.Exists(Path.Combine(dir, "cake.config")))
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no cake.config above the tests");
        return dir;
    }

    /// <summary>A small real executable of the format, built here (or the system's own for ELF).</summary>
    private static byte[] Sample(string format, TempDir dir)
    {
        var source = dir.Write("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
        string compiler;
        string[] args;
        switch (format)
        {
            case "ELF":
                return File.ReadAllBytes(new[] { "/bin/true", "/usr/bin/true" }.First(File.Exists));
            case "PE":
                compiler = Which("x86_64-w64-mingw32-gcc") ?? "";
                args = ["-O1", "-o", Path.Combine(dir.Path, "sample"), source];
                break;
            default:
                compiler = Path.Combine(FindRepoRoot(), "node_modules", "@ryoppippi", "zig-linux-x64", "zig");
                args = ["cc", "-target", format == "Mach-O arm64" ? "aarch64-macos" : "x86_64-macos", "-o", Path.Combine(dir.Path, "sample"), source];
                break;
        }
        if (!File.Exists(compiler))
            Assert.Ignore($"no compiler for a {format} sample here ({compiler})");
        var start = new ProcessStartInfo(compiler, args) { RedirectStandardError = true };
        start.Environment["ZIG_GLOBAL_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "btm-test-zig-cache");
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, error);
        var file = Path.Combine(dir.Path, "sample");
        return File.ReadAllBytes(File.Exists(file) ? file : file + ".exe");
    }

    /// <summary>The damage: cuts at each header boundary, and 32- and 64-bit fields in the headers overwritten.</summary>
    private static IEnumerable<(string What, byte[] Bytes)> Damaged(byte[] good)
    {
        foreach (var cut in new[] { 1, 3, 4, 8, 16, 18, 20, 24, 32, 48, 52, 60, 64, 0x40 + 24, 100, 128, 200, 256, 300, 400, 512, 1024, 2048, 4096, good.Length / 2, good.Length - 1 }
                     .Where(c => c < good.Length).Distinct())
            yield return ($"cut to {cut} bytes", good[..cut]);
        var headerEnd = Math.Min(good.Length, 1024);
        var values = new (string Name, byte[] Bytes)[]
        {
            ("0", new byte[4]), ("0xffffffff", [0xff, 0xff, 0xff, 0xff]), ("0x7fffffff", [0xff, 0xff, 0xff, 0x7f]),
            ("0x80000000", [0, 0, 0, 0x80]), ("0x00010000", [0, 0, 1, 0]),
        };
        for (var at = 0; at + 4 <= headerEnd; at += 2)
        {
            foreach (var (name, value) in values)
            {
                var bytes = (byte[])good.Clone();
                value.CopyTo(bytes, at);
                yield return ($"4 bytes at {at} set to {name}", bytes);
            }
        }
        for (var at = 0; at + 8 <= headerEnd; at += 8)
        {
            var bytes = (byte[])good.Clone();
            BitConverter.GetBytes(long.MaxValue).CopyTo(bytes, at);
            yield return ($"8 bytes at {at} set to long.MaxValue", bytes);
        }
    }

    private static bool Ours(Exception e) => e is BuildFailedException or InvalidDataException or FormatException;

    [TestCase("ELF")]
    [TestCase("PE")]
    [TestCase("Mach-O x64")]
    [TestCase("Mach-O arm64")]
    public void Every_reader_and_writer_fails_clearly_on_damaged_input(string format)
    {
        using var dir = new TempDir();
        var good = Sample(format, dir);
        var path = Path.Combine(dir.Path, "damaged");
        var output = Path.Combine(dir.Path, "out");
        var resource = new InjectedResource("NODE_SEA_BLOB", "blob"u8.ToArray());
        var failures = new List<string>();
        var variants = 0;
        foreach (var (what, bytes) in Damaged(good))
        {
            variants++;
            File.WriteAllBytes(path, bytes);
            var readers = new (string Name, Action Run)[]
            {
                ("binject --list", () => Binject.List(path)),
                ("binject", () => Binject.Inject(path, output, [resource], null)),
                ("ExecutableTarget.Read", () => ExecutableTarget.Read(path)),
                ("ElfInterpreter.Read", () => ElfInterpreter.Read(path)),
                ("GlibcSymbolVersions.Read", () => GlibcSymbolVersions.Read(path)),
                ("ElfNeeded.Read", () => ElfNeeded.Read(path)),
                ("MachOCheck.Check", () => MachOCheck.Check(path, format == "Mach-O arm64" ? "arm64" : "x64")),
                ("AdHocSignature.Verify", () => AdHocSignature.Verify(bytes)),
            };
            foreach (var (name, run) in readers)
            {
                try
                {
                    run();
                }
                catch (Exception e) when (Ours(e))
                {
                    if (name != "AdHocSignature.Verify" && !e.Message.Contains(path))
                        failures.Add($"{name}, {what}: the error does not name the file: {e.Message}");
                }
                catch (Exception e)
                {
                    failures.Add($"{name}, {what}: {e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                }
            }
        }
        TestContext.Out.WriteLine($"{format}: {variants} damaged variants of a {good.Length}-byte file, each through 7 readers and writers");
        Assert.That(failures, Is.Empty, $"{failures.Count} unclear failures; the first:\n" + string.Join("\n", failures.Take(15)));
    }
}

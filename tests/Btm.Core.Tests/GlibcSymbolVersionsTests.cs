using System.Diagnostics;
using System.Text.RegularExpressions;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

/// <summary>The GLIBC_ version reader, judged by binutils' objdump -T on real compiler output.</summary>
public class GlibcSymbolVersionsTests
{
    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}: {output}");
        return output;
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    [TestCase("int main(void) { return 0; }")]
    [TestCase("#include <sys/random.h>\nint main(void) { char b[4]; return getrandom(b, 4, 0) == 4 ? 0 : 1; }")]
    [TestCase("#include <stdlib.h>\n#include <string.h>\nint main(int c, char **v) { char *p = reallocarray(0, 4, 4); explicit_bzero(p, 16); return strlen(v[0]) > 1000 + c; }")]
    public void Reads_the_same_GLIBC_versions_as_objdump(string code)
    {
        if (Find("cc") is not { } cc || Find("objdump") is not { } objdump)
        {
            Assert.Ignore("cc and objdump (build-essential, binutils) are not installed");
            return;
        }
        using var dir = new TempDir();
        var source = dir.Write("main.c", code);
        var exe = Path.Combine(dir.Path, "main");
        Run(cc, source, "-o", exe);

        var expected = Regex.Matches(Run(objdump, "-T", exe), @"\(?GLIBC_(\d+\.\d+(?:\.\d+)?)\)?").Select(m => "GLIBC_" + m.Groups[1].Value)
            .Distinct().OrderBy(v => Version.Parse(v[6..])).ToList();
        var read = GlibcSymbolVersions.Read(exe);
        Assert.That(read.Select(n => n.Version), Is.EqualTo(expected));
        // Each version is named with a symbol objdump lists under it.
        var table = Run(objdump, "-T", exe);
        foreach (var need in read.Where(n => !n.Symbol.StartsWith('(')))
            Assert.That(Regex.IsMatch(table, $@"{Regex.Escape(need.Version)}\)?\s+{Regex.Escape(need.Symbol)}\b"), Is.True, $"{need.Version} {need.Symbol}\n{table}");
    }

    [Test]
    public void A_static_or_foreign_file_needs_nothing_and_a_damaged_one_is_named_not_thrown_at_random()
    {
        using var dir = new TempDir();
        Assert.That(GlibcSymbolVersions.Read(dir.Write("text", "#!/bin/sh\necho hi\n")), Is.Empty);
        if (Find("cc") is not { } cc)
        {
            Assert.Ignore("cc is not installed");
            return;
        }
        var source = dir.Write("main.c", "int main(void) { return 0; }");
        var exe = Path.Combine(dir.Path, "main");
        Run(cc, source, "-o", exe);
        var bytes = File.ReadAllBytes(exe);
        // Section headers said to lie past the end; then a file cut inside its section table.
        var far = (byte[])bytes.Clone();
        BitConverter.GetBytes((ulong)bytes.Length * 4).CopyTo(far, 0x28);
        var e = Assert.Throws<InvalidDataException>(() => GlibcSymbolVersions.Read(dir.WriteBytes("far", far)));
        Assert.That(e!.Message, Does.StartWith(Path.Combine(dir.Path, "far") + ": e_shoff/e_shnum"));
        Assert.Throws<InvalidDataException>(() => GlibcSymbolVersions.Read(dir.WriteBytes("cut", bytes[..(bytes.Length - 64)])));
    }

    [Test]
    public void Reads_the_same_needed_libraries_as_readelf_and_none_from_a_static_file()
    {
        if (Find("cc") is not { } cc || Find("readelf") is not { } readelf)
        {
            Assert.Ignore("cc and readelf (build-essential, binutils) are not installed");
            return;
        }
        using var dir = new TempDir();
        var source = dir.Write("main.c", "#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) { printf(\"%f\\n\", cos(c)); return v[0][0] == 0; }");
        var exe = Path.Combine(dir.Path, "main");
        Run(cc, source, "-o", exe, "-lm");
        var expected = Regex.Matches(Run(readelf, "-d", exe), @"\(NEEDED\)\s+Shared library: \[([^\]]+)\]").Select(m => m.Groups[1].Value).ToList();
        Assert.That(expected, Does.Contain("libc.so.6"));
        Assert.That(ElfNeeded.Read(exe), Is.EqualTo(expected));
        var alone = Path.Combine(dir.Path, "alone");
        Run(cc, source, "-static", "-o", alone, "-lm");
        Assert.That(ElfNeeded.Read(alone), Is.Empty);
        Assert.That(ElfNeeded.Read(source), Is.Empty, "not an ELF file");
    }

    [Test]
    public void Floors_are_glibc_versions_from_2_17_or_host()
    {
        Assert.That(GlibcFloor.Problem("2.17"), Is.Null);
        Assert.That(GlibcFloor.Problem("2.28"), Is.Null);
        Assert.That(GlibcFloor.Problem("host"), Is.Null);
        Assert.That(GlibcFloor.Problem("2.5"), Does.Contain("from 2.17 up"));
        Assert.That(GlibcFloor.Problem("2.17.1"), Is.Not.Null);
        Assert.That(GlibcFloor.Max("2.17", "2.28"), Is.EqualTo("2.28"));
        Assert.That(GlibcFloor.Compare("2.28", "2.17"), Is.Positive, "numeric, not text: 2.28 > 2.17");
    }
}

using System.Diagnostics;
using Btm.Core.Inject;

namespace Btm.Core.Tests.Inject;

/// <summary>
/// binject against real executables and independent readers: the program reads its own resource
/// the way Node's reader does (ELF: dl_iterate_phdr over PT_NOTE; PE: FindResourceA under wine),
/// binutils' readelf, LLVM's readobj and objdump, and our own signature verifier.
/// </summary>
public class BinjectTests
{
    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static string Require(string tool) => Which(tool) ?? Ignore<string>($"{tool} is not installed");

    private static T Ignore<T>(string why)
    {
        Assert.Ignore(why);
        return default!;
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>A C program that finds resource argv[1] in its own PT_NOTE segments, as postject's API does, and prints it.</summary>
    private const string ElfReader = """
        #define _GNU_SOURCE
        #include <link.h>
        #include <stdio.h>
        #include <string.h>
        static int first(struct dl_phdr_info *info, size_t size, void *data) { *(struct dl_phdr_info *)data = *info; return 1; }
        int main(int argc, char **argv) {
          struct dl_phdr_info main_info;
          dl_iterate_phdr(first, &main_info);
          for (int i = 0; i < main_info.dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &main_info.dlpi_phdr[i];
            if (ph->p_type != PT_NOTE) continue;
            char *pos = (char *)(main_info.dlpi_addr + ph->p_vaddr), *end = pos + ph->p_memsz;
            while (pos + sizeof(ElfW(Nhdr)) <= end) {
              ElfW(Nhdr) *note = (ElfW(Nhdr) *)pos;
              char *name = pos + sizeof(ElfW(Nhdr));
              char *desc = name + ((note->n_namesz + 3) & ~3u);
              if (note->n_namesz && strcmp(name, argv[1]) == 0) { fwrite(desc, 1, note->n_descsz, stdout); return 0; }
              pos = desc + ((note->n_descsz + 3) & ~3u);
            }
          }
          fprintf(stderr, "no resource %s\n", argv[1]);
          return 1;
        }
        """;

    [Test]
    public void An_ELF_program_finds_its_resource_in_memory_and_every_segment_keeps_its_place()
    {
        var cc = Require("cc");
        var readelf = Require("readelf");
        using var dir = new TempDir();
        var source = dir.Write("reader.c", ElfReader);
        var program = Path.Combine(dir.Path, "reader");
        foreach (var pie in new[] { "-pie", "-no-pie" })
        {
            var compile = Run(cc, ["-O1", pie, "-o", program, source]);
            Assert.That(compile.Exit, Is.Zero, compile.Stderr);
            Assert.That(Run(program, ["HELLO_RES"]).Exit, Is.EqualTo(1), "no resource before injection");

            var output = Path.Combine(dir.Path, "injected");
            Binject.Inject(program, output, [new InjectedResource("HELLO_RES", "hello, resource\n"u8.ToArray())], null);
            var run = Run(output, ["HELLO_RES"]);
            Assert.That((run.Exit, run.Stdout), Is.EqualTo((0, "hello, resource\n")), $"{pie}: {run.Stderr}");

            // binutils agrees: the note is there, and every original segment is where it was.
            var before = Run(readelf, ["-lW", program]).Stdout;
            var after = Run(readelf, ["-lW", output]).Stdout;
            string[] Segments(string listing) => listing.Split('\n').Where(l => l.TrimStart().StartsWith("LOAD") || l.TrimStart().StartsWith("NOTE")
                || l.TrimStart().StartsWith("DYNAMIC") || l.TrimStart().StartsWith("GNU_") || l.TrimStart().StartsWith("INTERP")).ToArray();
            Assert.That(Segments(after), Is.SupersetOf(Segments(before)), pie);
            Assert.That(Segments(after).Length, Is.EqualTo(Segments(before).Length + 2));
            // The new NOTE segment holds one note: 12-byte header, "HELLO_RES\0" padded to 12, 16 bytes of data.
            Assert.That(Segments(after).Last(), Does.Match(@"NOTE\s+0x[0-9a-f]+ 0x[0-9a-f]+ 0x[0-9a-f]+ 0x000028 0x000028 R"));
            var original = File.ReadAllBytes(program);
            var injected = File.ReadAllBytes(output);
            Assert.That(injected.AsSpan(64, original.Length - 64).SequenceEqual(original.AsSpan(64)), Is.True, "only e_phoff and e_phnum change in the original bytes");
            Assert.That(injected.Length - original.Length - 16, Is.LessThan(8192), "the growth beyond the resource stays under 8 KiB (padding to the end of the memory image, then headers)");

            // Again: the resource is replaced, another is added, and the result equals a single injection of both.
            Binject.Inject(output, output, [new InjectedResource("HELLO_RES", "replaced\n"u8.ToArray()), new InjectedResource("OTHER", "2\n"u8.ToArray())], null);
            Assert.That(Run(output, ["HELLO_RES"]).Stdout, Is.EqualTo("replaced\n"));
            Assert.That(Run(output, ["OTHER"]).Stdout, Is.EqualTo("2\n"));
            var once = Path.Combine(dir.Path, "once");
            Binject.Inject(program, once, [new InjectedResource("HELLO_RES", "replaced\n"u8.ToArray()), new InjectedResource("OTHER", "2\n"u8.ToArray())], null);
            Assert.That(File.ReadAllBytes(output), Is.EqualTo(File.ReadAllBytes(once)), "re-injection starts from the original");
            Assert.That(Binject.List(output).Where(r => r.Where == "binject note").Select(r => (r.Name, r.Size)),
                Is.EqualTo(new[] { ("HELLO_RES", 9L), ("OTHER", 2L) }));
        }
    }

    [Test]
    public void The_fuse_flips_once_and_a_missing_or_doubled_fuse_is_an_error_that_writes_nothing()
    {
        var image = "....FUSE_X:0...."u8.ToArray();
        Binject.FlipFuse(image, "FUSE_X", "f");
        Assert.That(System.Text.Encoding.ASCII.GetString(image), Is.EqualTo("....FUSE_X:1...."));
        Binject.FlipFuse(image, "FUSE_X", "f");
        Assert.That(Assert.Throws<InjectException>(() => Binject.FlipFuse("nothing"u8.ToArray(), "FUSE_X", "f"))!.Message, Does.Contain("is not in the binary"));
        Assert.That(Assert.Throws<InjectException>(() => Binject.FlipFuse("FUSE_X:0 FUSE_X:0"u8.ToArray(), "FUSE_X", "f"))!.Message, Does.Contain("more than once"));

        var cc = Require("cc");
        using var dir = new TempDir();
        var program = Path.Combine(dir.Path, "p");
        Assert.That(Run(cc, ["-o", program, dir.Write("p.c", "int main(void) { return 0; }\n")]).Exit, Is.Zero);
        var output = Path.Combine(dir.Path, "out");
        var e = Assert.Throws<InjectException>(() => Binject.Inject(program, output, [new InjectedResource("R", [1])], Binject.NodeSeaFuse))!;
        Assert.That(e.Message, Does.Contain(Binject.NodeSeaFuse));
        Assert.That(File.Exists(output), Is.False);
        Assert.That(Assert.Throws<InjectException>(() => Binject.Inject(program, output, [new InjectedResource("R", [])], null))!.Message, Does.Contain("is empty"));
        Assert.That(Assert.Throws<InjectException>(() => Binject.Inject(dir.Write("t.txt", "text"), output, [new InjectedResource("R", [1])], null))!.Message,
            Does.Contain("not an ELF, PE or Mach-O executable"));
    }

    /// <summary>A Windows program that prints RT_RCDATA resource argv[1] through FindResourceA, as Node's reader does.</summary>
    private const string PeReader = """
        #include <windows.h>
        #include <stdio.h>
        int main(int argc, char **argv) {
          HRSRC r = FindResourceA(NULL, argv[1], MAKEINTRESOURCEA(10));
          if (!r) { fprintf(stderr, "no resource %s\n", argv[1]); return 1; }
          HGLOBAL g = LoadResource(NULL, r);
          fwrite(LockResource(g), 1, SizeofResource(NULL, r), stdout);
          return 0;
        }
        """;

    [Test]
    public void A_PE_program_finds_its_resource_through_FindResourceA_under_wine_and_llvm_readobj_lists_it()
    {
        var mingw = Require("x86_64-w64-mingw32-gcc");
        var readobj = Require("llvm-readobj");
        var wine = File.Exists("/usr/lib/wine/wine64") ? "/usr/lib/wine/wine64" : Which("wine64") ?? Ignore<string>("wine64 is not installed");
        using var dir = new TempDir();
        var program = Path.Combine(dir.Path, "reader.exe");
        var compile = Run(mingw, ["-O1", "-o", program, dir.Write("reader.c", PeReader)]);
        Assert.That(compile.Exit, Is.Zero, compile.Stderr);
        var output = Path.Combine(dir.Path, "injected.exe");
        Binject.Inject(program, output, [new InjectedResource("hello_res", "hello from RCDATA"u8.ToArray())], null);
        var env = new Dictionary<string, string> { ["WINEPREFIX"] = Path.Combine(dir.Path, "prefix"), ["WINEDEBUG"] = "-all" };
        var run = Run(wine, [output, "HELLO_RES"], env);
        Assert.That((run.Exit, run.Stdout), Is.EqualTo((0, "hello from RCDATA")), run.Stderr);

        var listing = Run(readobj, ["--coff-resources", "--file-headers", output]).Stdout;
        Assert.That(listing, Does.Contain("Type: RCDATA (ID 10)").And.Contain("Name: HELLO_RES"));
        Binject.Inject(output, output, [new InjectedResource("HELLO_RES", "second"u8.ToArray()), new InjectedResource("MORE", "x"u8.ToArray())], null);
        Assert.That(Run(wine, [output, "HELLO_RES"], env).Stdout, Is.EqualTo("second"));
        Assert.That(Run(wine, [output, "MORE"], env).Stdout, Is.EqualTo("x"));
        Assert.That(Binject.List(output).Select(r => r.Name), Is.EquivalentTo(new[] { "HELLO_RES", "MORE" }));
        var sections = Run(readobj, ["--sections", output]).Stdout;
        Assert.That(sections.Split("Name: .rsrc (").Length - 1, Is.EqualTo(1), "re-injection replaces binject's section, it does not add another");

        // The checksum field holds the image's checksum, as imagehlp computes it.
        var bytes = File.ReadAllBytes(output);
        var optional = BitConverter.ToInt32(bytes, 0x3c) + 24;
        Assert.That(BitConverter.ToUInt32(bytes, optional + 64), Is.EqualTo(PeFormat.Checksum(bytes, optional + 64)));
        Assert.That(BitConverter.ToUInt32(bytes, optional + 64), Is.Not.Zero);
    }

    [Test]
    public void A_Mach_O_file_gets_the_segment_before_LINKEDIT_and_an_ad_hoc_signature_every_page_of_which_verifies()
    {
        var objdump = Require("llvm-objdump");
        var zig = Path.Combine(FindRepoRoot(), "node_modules", "@ryoppippi", "zig-linux-x64", "zig");
        if (!File.Exists(zig))
            Assert.Ignore("zig is not installed: `npm ci` installs it (linux-x64 hosts)");
        using var dir = new TempDir();
        var source = dir.Write("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
        foreach (var (target, cpu) in new[] { ("aarch64-macos", "ARM64"), ("x86_64-macos", "X86_64") })
        {
            var program = Path.Combine(dir.Path, "hello-" + target);
            // -headerpad: room for more load commands, as Apple's linker leaves by default.
            var compile = Run(zig, ["cc", "-target", target, "-Wl,-headerpad,0x1000", "-o", program, source], new Dictionary<string, string> { ["ZIG_GLOBAL_CACHE_DIR"] = ZigCache() });
            Assert.That(compile.Exit, Is.Zero, compile.Stderr);
            var output = program + ".injected";
            var blob = new byte[70_000];
            new Random(7).NextBytes(blob);
            Binject.Inject(program, output, [new InjectedResource("NODE_SEA_BLOB", blob)], null);
            var bytes = File.ReadAllBytes(output);
            Assert.That(AdHocSignature.Verify(bytes), Is.Empty, target);

            var headers = Run(objdump, ["--macho", "--private-headers", output]).Stdout;
            Assert.That(headers, Does.Contain("segname __POSTJECT").And.Contain("sectname __NODE_SEA_BLOB").And.Contain("cmd LC_CODE_SIGNATURE"), target);
            Assert.That(headers.IndexOf("segname __POSTJECT", StringComparison.Ordinal), Is.LessThan(headers.IndexOf("segname __LINKEDIT", StringComparison.Ordinal)));
            Assert.That(Run(objdump, ["--macho", "--private-header", output]).Stdout, Does.Contain(cpu));
            // LLVM reads the symbol table where the moved LC_SYMTAB says it is.
            Assert.That(Run(objdump, ["--macho", "--syms", output]).Stdout, Does.Contain("_main"), target);
            var listed = Binject.List(output).Single();
            Assert.That((listed.Name, listed.Size, listed.Sha256), Is.EqualTo(("__NODE_SEA_BLOB", (long)blob.Length, new InjectedResource("x", blob).Sha256)));

            // One changed byte anywhere before the signature is caught.
            var tampered = (byte[])bytes.Clone();
            tampered[100] ^= 1;
            Assert.That(AdHocSignature.Verify(tampered), Has.Some.Contains("page hashes do not match"));

            // Re-injection replaces the section and signs again; the file does not keep growing.
            Binject.Inject(output, output, [new InjectedResource("NODE_SEA_BLOB", "small"u8.ToArray())], null);
            var again = File.ReadAllBytes(output);
            Assert.That(AdHocSignature.Verify(again), Is.Empty);
            Assert.That(Binject.List(output).Single().Size, Is.EqualTo(5));
            Assert.That(again.Length, Is.LessThan(bytes.Length));
        }
    }

    private static string ZigCache() => Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "zig");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "cake.config")))
                return dir.FullName;
        throw new InvalidOperationException("no cake.config above the test directory");
    }
}

namespace Btm.Build.Tests;

/// <summary>What real upstream projects trip on: archive times, BTM's own git, .exe names, a CMake project without tests.</summary>
public class UpstreamTruthsTests
{
    private static Dictionary<string, string?> Downloads(Sandbox box) => new() { ["BTM_DOWNLOAD_DIR"] = Path.Combine(box.Root, "downloads") };

    [Test]
    public void Sources_keep_their_archive_times_and_git_in_the_build_cannot_see_the_BTM_clone()
    {
        Sandbox.RequireTools("make", "git");
        var old = new DateTimeOffset(2015, 3, 1, 12, 0, 0, TimeSpan.Zero);
        // gen.h is made from gen.in by a tool the machine lacks, as automake's outputs are: the archive
        // ships gen.h newer, and lists gen.in after it, so unpacked at "now" gen.in would look newer.
        var tarball = FileServer.TarGzTimed(
            ("up-1.0/gen.h", "#define GREETING \"up 1.0\"\n", old.AddDays(1)),
            ("up-1.0/up.c", "#include <stdio.h>\n#include \"gen.h\"\nint main(void) { puts(GREETING); return 0; }\n", old),
            ("up-1.0/Makefile",
                "all: up\ngen.h: gen.in\n\t@echo 'gen.h is out of date: the generator is not installed' >&2; exit 1\n" +
                "up: up.c gen.h\n\t(git rev-parse --show-toplevel 2>/dev/null || echo 'no repository') > $(BTM_OUT_DIR)/git.txt\n" +
                "\t$(CC) -o $(BTM_OUT_DIR)/up$(BTM_EXE_SUFFIX) up.c\n", old),
            ("up-1.0/gen.in", "GREETING\n", old),
            ("up-1.0/COPYING", "up is under the MIT licence.\n", old));
        using var server = new FileServer();
        var url = server.Serve("up-1.0.tar.gz", tarball);
        using var box = new Sandbox();
        box.Write("packages/up/btm.json", $$"""
            { "name": "up", "description": "an upstream project", "license": "MIT", "builder": "make", "binaries": ["up"], "test": false,
              "sources": [{ "urls": ["{{url}}"], "sha256": "{{FileServer.Sha256(tarball)}}", "stripComponents": 1 }],
              "inputs": ["btm.json"] }
            """);
        box.CommitAll();
        var r = box.RunWith(Downloads(box), "--target=Build");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("up linux-x64 dev: make -f Makefile in .").Or.Contain($"up {Sandbox.Host} dev: make -f Makefile in ."), "the chosen makefile is said");
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(box.Package("up"), "build", "dev", Sandbox.Host, "work", "src", "gen.in")), Is.EqualTo(old.UtcDateTime));
        var git = File.ReadAllText(Path.Combine(box.Package("up"), "build", "dev", Sandbox.Host, "work", "bin", "git.txt")).Trim();
        Assert.That(git, Is.EqualTo("no repository"), "git run by the build does not find the sandbox's repository above the work tree");
        Assert.That(ProcessResult.Run(box.Final("up", "up"), [], box.Root).Stdout, Is.EqualTo("up 1.0\n"));
    }

    [Test]
    public void On_win32_install_maps_the_exe_by_itself()
    {
        Sandbox.RequireTools("make", "x86_64-w64-mingw32-gcc");
        using var box = new Sandbox();
        box.Write("packages/winup/btm.json", """
            { "name": "winup", "description": "builds where upstream puts it", "builder": "make", "binaries": ["winup"], "test": false,
              "targets": ["win32-x64"], "install": { "out/winup": "bin/winup" }, "inputs": ["Makefile", "winup.c"] }
            """);
        box.Write("packages/winup/Makefile", "all:\n\tmkdir -p out\n\t$(CC) -o out/winup$(BTM_EXE_SUFFIX) winup.c\n");
        box.Write("packages/winup/winup.c", "int main(void) { return 0; }\n");
        box.CommitAll();
        var r = box.Run("--target=Build", "--platform=win32-x64");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(File.Exists(Path.Combine(box.Package("winup"), "build", "dev", "win32-x64", "out", "Final", "winup.exe")), Is.True);
    }

    [Test]
    public void A_CMake_project_without_tests_says_so_and_names_the_fix()
    {
        Sandbox.RequireTools("cmake", "ctest");
        using var box = new Sandbox();
        box.Write("packages/notests/btm.json", """
            { "name": "notests", "description": "a CMake project that defines no tests", "builder": "cmake", "binaries": ["notests"], "inputs": ["CMakeLists.txt", "main.c"] }
            """);
        box.Write("packages/notests/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(notests C)\nadd_executable(notests main.c)\n");
        box.Write("packages/notests/main.c", "int main(void) { return 0; }\n");
        box.CommitAll();
        var r = box.Run("--target=Test");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain("the CMake project defines no tests (ctest: \"No tests were found\")")
            .And.Contain("set \"test\": false in packages/notests/btm.json"));
    }

    [Test]
    public void A_makefiles_own_optimisation_stands_and_a_prod_build_without_flags_is_optimised()
    {
        Sandbox.RequireTools("make");
        using var box = new Sandbox();
        // __OPTIMIZE__ is defined by the compiler exactly when it optimises: the program says what it was built with.
        const string main = "#include <stdio.h>\nint main(void) {\n#ifdef __OPTIMIZE__\nputs(\"optimized\");\n#else\nputs(\"not optimized\");\n#endif\nreturn 0; }\n";
        foreach (var (name, makefile) in new[]
                 {
                     ("xxlike", "CFLAGS ?= -O3\nall:\n\techo '$(CC) $(CFLAGS)' > $(BTM_OUT_DIR)/flags.txt\n\t$(CC) $(CFLAGS) -o $(BTM_OUT_DIR)/xxlike$(BTM_EXE_SUFFIX) main.c\n"),
                     ("plain", "all:\n\techo '$(CC) $(CFLAGS)' > $(BTM_OUT_DIR)/flags.txt\n\t$(CC) -o $(BTM_OUT_DIR)/plain$(BTM_EXE_SUFFIX) main.c\n"),
                 })
        {
            box.Write($"packages/{name}/btm.json", $$"""{ "name": "{{name}}", "description": "flags", "builder": "make", "binaries": ["{{name}}"], "test": false, "inputs": ["Makefile", "main.c"] }""");
            box.Write($"packages/{name}/Makefile", makefile);
            box.Write($"packages/{name}/main.c", main);
        }
        box.CommitAll();
        foreach (var mode in new[] { "prod", "dev" })
        {
            var r = box.Run("--target=Build", $"--mode={mode}");
            Assert.That(r.ExitCode, Is.Zero, r.Output);
        }
        string Flags(string name, string mode) => File.ReadAllText(Path.Combine(box.Package(name), "build", mode, Sandbox.Host, "work", "bin", "flags.txt"));
        string Says(string name, string mode) => ProcessResult.Run(Path.Combine(box.Package(name), "build", mode, Sandbox.Host, "out", "Compiled", name), [], box.Root).Stdout.Trim();
        // The makefile's -O3 reached the compiler, after BTM's flags (the last -O wins), in both modes.
        foreach (var mode in new[] { "prod", "dev" })
        {
            Assert.That(Flags("xxlike", mode), Does.Match(@"-ffile-prefix-map=\S+ .*-O3\s*$"), mode);
            Assert.That(Says("xxlike", mode), Is.EqualTo("optimized"), mode);
        }
        Assert.That(Flags("plain", "prod"), Does.Contain(" -O2 "));
        Assert.That(Says("plain", "prod"), Is.EqualTo("optimized"), "a prod build of a project that asks for nothing is optimised");
        Assert.That(Says("plain", "dev"), Is.EqualTo("not optimized"), "dev keeps the compiler's default");
    }

    [Test]
    public void Binaries_and_install_may_name_one_CMake_output_and_verify_reads_the_upstream_version()
    {
        Sandbox.RequireTools("cmake", "node", "npm");
        using var box = new Sandbox();
        // GNU-style versions: npm needs 2.10.0, the program prints 2.10.
        box.Write("packages/twice/btm.json", """
            { "name": "twice", "description": "binaries and install on one file", "builder": "cmake", "version": "2.10.0", "upstreamVersion": "2.10",
              "binaries": ["twice"], "install": { "twice": "bin/twice", "twice*": "extra/" }, "test": false,
              "targets": ["linux-x64"], "verify": { "args": ["--version"], "expect": "twice {version}" }, "inputs": ["CMakeLists.txt", "main.c"] }
            """);
        box.Write("packages/twice/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(twice C)\nadd_executable(twice main.c)\n");
        box.Write("packages/twice/main.c", "#include <stdio.h>\nint main(void) { puts(\"twice 2.10\"); return 0; }\n");
        box.CommitAll();
        var r = box.Run("--target=Package", "--platform=linux-x64");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(File.Exists(Path.Combine(box.Package("twice"), "build", "dev", "linux-x64", "out", "Compiled", "files", "extra", "twice")), Is.True);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("twice --version via @btm/twice: twice 2.10"));
    }
}

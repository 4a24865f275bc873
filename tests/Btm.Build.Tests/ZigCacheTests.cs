namespace Btm.Build.Tests;

/// <summary>
/// zig's object cache under compile rules that ask for depfiles (CMake's and automake's): an edit
/// recompiles the files it touches, and only those, though the unit's work tree starts empty.
/// </summary>
public class ZigCacheTests
{
    private static readonly string ZigCache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
        ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "zig", "o");

    /// <summary>How many objects compiled from this source file zig holds: its cache names each after its source.</summary>
    private static int Compiled(string source) =>
        Directory.Exists(ZigCache) ? Directory.EnumerateFiles(ZigCache, Path.ChangeExtension(source, ".o"), SearchOption.AllDirectories).Count() : 0;

    [TestCase("cmake")]
    [TestCase("make")]
    public void An_edit_recompiles_only_the_files_it_touches_and_the_program_has_every_change(string builder)
    {
        Sandbox.RequireTools("make", "cmake", "npm");
        Sandbox.RequireZig();
        if (Environment.GetEnvironmentVariable("ZIG_GLOBAL_CACHE_DIR") is { Length: > 0 })
            Assert.Ignore("ZIG_GLOBAL_CACHE_DIR moves zig's cache away from where this test looks");
        using var box = new Sandbox();
        // Names no other build has used, so that zig's cache holds their objects from this test alone.
        var id = Guid.NewGuid().ToString("N")[..10];
        string alpha = $"alpha_{id}.c", beta = $"beta_{id}.c", main = $"main_{id}.c";
        box.Write("packages/zc/btm.json", $$"""
            {
              "name": "zc",
              "description": "three files, one header, built by {{builder}} with zig",
              "builder": "{{builder}}",
              "binaries": ["zc"],
              "inputs": ["CMakeLists.txt", "Makefile", "src/**"]
            }
            """);
        box.Write("packages/zc/CMakeLists.txt", $"cmake_minimum_required(VERSION 3.20)\nproject(zc LANGUAGES C)\nadd_executable(zc src/{main} src/{alpha} src/{beta})\n");
        // The rule automake writes (gcc3 depmode): a depfile per object, renamed once the compile succeeded.
        box.Write("packages/zc/Makefile",
            $"OBJS = {Path.ChangeExtension(main, ".o")} {Path.ChangeExtension(alpha, ".o")} {Path.ChangeExtension(beta, ".o")}\n" +
            "all: $(OBJS)\n\t$(CC) -o $(BTM_OUT_DIR)/zc $(OBJS)\n" +
            "%.o: src/%.c\n\t$(CC) -MT $@ -MD -MP -MF $*.Tpo -c -o $@ $<\n\tmv -f $*.Tpo $*.Po\n" +
            "-include $(OBJS:.o=.Po)\n");
        box.Write("packages/zc/src/shared.h", "#define ALPHA 1\n");
        box.Write($"packages/zc/src/{alpha}", "#include \"shared.h\"\nint alpha(void) { return ALPHA; }\n");
        box.Write($"packages/zc/src/{beta}", "int beta(void) { return 2; }\n");
        box.Write($"packages/zc/src/{main}", "#include <stdio.h>\nint alpha(void);\nint beta(void);\nint main(void) { printf(\"%d %d\\n\", alpha(), beta()); return 0; }\n");
        box.CommitAll();

        string Build()
        {
            var r = box.Run("--target=Build");
            Assert.That(r.ExitCode, Is.Zero, r.Output);
            Assert.That(box.Outcome("zc", "compiled"), Is.EqualTo("built"));
            return ProcessResult.Run(box.Final("zc", "zc"), [], box.Root).Stdout;
        }
        (int, int, int) Counts() => (Compiled(main), Compiled(alpha), Compiled(beta));

        Assert.That(Build(), Is.EqualTo("1 2\n"));
        Assert.That(Counts(), Is.EqualTo((1, 1, 1)), "zig compiled each file into its cache, though the rules asked for depfiles");

        // The unit's key changes, so its work tree starts empty and make or ninja compiles every file again:
        // zig answers the two unchanged ones from its cache.
        File.WriteAllText(Path.Combine(box.Package("zc"), "src", beta), "int beta(void) { return 3; }\n");
        Assert.That(Build(), Is.EqualTo("1 3\n"));
        Assert.That(Counts(), Is.EqualTo((1, 1, 2)), "only the edited file compiled again");

        // A header is in zig's own record of each object's inputs: the file that includes it compiles again, never stale.
        File.WriteAllText(Path.Combine(box.Package("zc"), "src", "shared.h"), "#define ALPHA 5\n");
        Assert.That(Build(), Is.EqualTo("5 3\n"));
        Assert.That(Counts(), Is.EqualTo((1, 2, 2)), "only the file including the edited header compiled again");
    }
}

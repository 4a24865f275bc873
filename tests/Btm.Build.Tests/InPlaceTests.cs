using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Btm.Build.Tests;

/// <summary>
/// Compressed programs loaded into the stub's own process (docs/binpress-format.md, "In place"):
/// real programs packed where the originals stood, run cold and warm against the originals, on
/// linux-x64 and (with Debian's arm64 packages, under qemu-user) linux-arm64.
/// </summary>
[NonParallelizable]
public class InPlaceTests
{
    private Sandbox? _box;
    private string _work = "";
    private readonly Dictionary<string, string> _stubs = new();

    private static readonly string BtmCli = Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll");

    [OneTimeSetUp]
    public void BuildStubs()
    {
        Sandbox.RequireTools("cmake", "cc", "gcc");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore($"in-place loading is tested from a linux-x64 host (this is {Sandbox.Host})");
        _box = new Sandbox("bin-stub");
        var r = _box.Run("--target=Build", "--mode=prod", "--package=bin-stub", "--platform=linux-x64,linux-x64-musl,linux-arm64", "--skip-unavailable");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        foreach (var platform in new[] { "linux-x64", "linux-x64-musl", "linux-arm64" })
        {
            var stub = Path.Combine(_box.Package("bin-stub"), "build", "prod", platform, "out", "Final", "bin-stub");
            if (File.Exists(stub))
                _stubs[platform] = stub;
        }
        Assert.That(_stubs, Does.ContainKey("linux-x64"));
        _work = Path.Combine(_box.Root, "work");
        Directory.CreateDirectory(_work);
    }

    [OneTimeTearDown]
    public void Cleanup() => _box?.Dispose();

    private string Stub(string platform) =>
        _stubs.TryGetValue(platform, out var stub) ? stub : throw new IgnoreException($"no {platform} stub: its toolchain is not installed here");

    private void Press(string input, string output, string platform = "linux-x64")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var r = ProcessResult.Run("dotnet", [BtmCli, "binpress", input, "-o", output, "--stub", Stub(platform), "--level", "3"], _work, timeoutSeconds: 600);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
    }

    private string FreshCache() => Path.Combine(_work, "dlx-" + Guid.NewGuid().ToString("N")[..8]);

    private static Dictionary<string, string?> Env(string cache, params (string Name, string? Value)[] more)
    {
        var env = new Dictionary<string, string?> { ["BTM_DLX_DIR"] = cache, ["BTM_DLX_TRACE"] = "1" };
        foreach (var (name, value) in more)
            env[name] = value;
        return env;
    }

    /// <summary>A packed run, cold then warm from one cache: both must match the expectation, and both loaded in place.</summary>
    private void ColdAndWarm(string program, string[] args, string cwd, Dictionary<string, string?> extraEnv, Action<ProcessResult, string> check,
        string? launcher = null)
    {
        var cache = FreshCache();
        var env = Env(cache);
        foreach (var (name, value) in extraEnv)
            env[name] = value;
        foreach (var run in new[] { "cold", "warm" })
        {
            var r = launcher is null ? ProcessResult.Run(program, args, cwd, env) : ProcessResult.Run(launcher, [program, .. args], cwd, env);
            Assert.That(r.Stderr, Does.Contain($"{Path.GetFileName(program)}: in place: {cache}/"), $"{program} {run}: {r.Output}");
            check(r, $"{Path.GetFileName(program)} {string.Join(' ', args)} ({run})");
        }
    }

    private static string WithoutTrace(string stderr) =>
        string.Join("", stderr.Split('\n').Where(l => !l.Contains(": in place: ")).Select(l => l + "\n")).TrimEnd('\n');

    /// <summary>A C program reporting what it believes itself to be.</summary>
    private string WhoAmISource()
    {
        var source = Path.Combine(_work, "whoami.c");
        File.WriteAllText(source, """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <unistd.h>
            #include <sys/auxv.h>
            static char big[1 << 16];
            int main(int argc, char **argv) {
              char exe[4096];
              ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
              exe[n > 0 ? n : 0] = 0;
              char *heap = malloc(1 << 20);
              memset(heap, 7, 1 << 20);
              big[100] = (char)argc;
              printf("exe=%s execfn=%s argv0=%s args=%d heap=%d bss=%d\n", exe, (char *)getauxval(AT_EXECFN), argv[0], argc - 1, heap[999], big[100]);
              return 3;
            }
            """);
        return source;
    }

    private string Compile(string compiler, string output, params string[] flags)
    {
        var r = ProcessResult.Run(compiler, [.. flags, WhoAmISource(), "-o", output], _work);
        Assert.That(r.ExitCode, Is.Zero, $"{compiler} {string.Join(' ', flags)}: {r.Output}");
        return output;
    }

    [Test]
    public void Cmake_gcc_python3_node_and_git_packed_where_the_originals_stood_behave_like_them_cold_and_warm()
    {
        Sandbox.RequireTools("python3.11", "node", "git");
        // A prefix like /usr: the packed programs in bin/, their files beside them as they are installed.
        var prefix = Path.Combine(_work, "x64", "usr");
        Directory.CreateDirectory(Path.Combine(prefix, "share"));
        Directory.CreateDirectory(Path.Combine(prefix, "lib"));
        var cmakeShare = Directory.GetDirectories("/usr/share", "cmake-*").Single();
        Directory.CreateSymbolicLink(Path.Combine(prefix, "share", Path.GetFileName(cmakeShare)), cmakeShare);
        Directory.CreateSymbolicLink(Path.Combine(prefix, "lib", "python3.11"), "/usr/lib/python3.11");
        Directory.CreateSymbolicLink(Path.Combine(prefix, "lib", "gcc"), "/usr/lib/gcc");
        var gcc = new FileInfo(Sandbox.Which("gcc")).ResolveLinkTarget(true)?.FullName ?? Sandbox.Which("gcc");
        var programs = new Dictionary<string, string>
        {
            ["cmake"] = Sandbox.Which("cmake"), ["gcc"] = gcc, ["python3.11"] = "/usr/bin/python3.11",
            ["node"] = Sandbox.Which("node"), ["git"] = Sandbox.Which("git"),
        };
        foreach (var (name, original) in programs)
            Press(original, Path.Combine(prefix, "bin", name));
        string Packed(string name) => Path.Combine(prefix, "bin", name);

        foreach (var (name, args) in new[] { ("cmake", new[] { "--version" }), ("git", new[] { "--version" }), ("node", new[] { "-p", "process.versions.v8" }) })
        {
            var original = ProcessResult.Run(programs[name], args, _work);
            ColdAndWarm(Packed(name), args, _work, new(), (r, what) =>
                Assert.That((r.ExitCode, r.Stdout, WithoutTrace(r.Stderr)), Is.EqualTo((original.ExitCode, original.Stdout, original.Stderr)), what));
        }

        // node finds itself through /proc/self/exe: the packed file, not the cache entry.
        ColdAndWarm(Packed("node"), ["-p", "process.execPath"], _work, new(), (r, what) =>
            Assert.That(r.Stdout.Trim(), Is.EqualTo(Packed("node")), what));

        // cmake: its modules from beside itself, and a project configured and built with them.
        File.WriteAllText(Path.Combine(_work, "root.cmake"), "message(\"${CMAKE_ROOT}\")\n");
        ColdAndWarm(Packed("cmake"), ["-P", Path.Combine(_work, "root.cmake")], _work, new(), (r, what) =>
            Assert.That(WithoutTrace(r.Stderr).Trim(), Is.EqualTo(Path.Combine(prefix, "share", Path.GetFileName(cmakeShare))), what));
        var project = Path.Combine(_work, "cmake-project");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "CMakeLists.txt"), "cmake_minimum_required(VERSION 3.13)\nproject(p C)\nadd_executable(p main.c)\n");
        File.WriteAllText(Path.Combine(project, "main.c"), "int main(void) { return 5; }\n");
        foreach (var run in new[] { "cold", "warm" })
        {
            var build = Path.Combine(project, "build-" + run);
            var env = Env(FreshCache());
            var configure = ProcessResult.Run(Packed("cmake"), ["-S", project, "-B", build], _work, env);
            Assert.That(configure.ExitCode, Is.Zero, configure.Output);
            Assert.That(configure.Stdout, Does.Contain("Build files have been written to"));
            var make = ProcessResult.Run(Packed("cmake"), ["--build", build], _work, env);
            Assert.That(make.ExitCode, Is.Zero, make.Output);
            Assert.That(ProcessResult.Run(Path.Combine(build, "p"), [], _work).ExitCode, Is.EqualTo(5));
        }

        // gcc: cc1 found beside itself, hello.c compiled, linked and run.
        var hello = Path.Combine(_work, "hello.c");
        File.WriteAllText(hello, "#include <stdio.h>\nint main(void) { puts(\"hello from gcc\"); return 0; }\n");
        ColdAndWarm(Packed("gcc"), ["-print-prog-name=cc1"], _work, new(), (r, what) =>
            Assert.That(r.Stdout.Trim(), Does.StartWith(Path.Combine(prefix, "bin", "..", "lib", "gcc")), what));
        ColdAndWarm(Packed("gcc"), [hello, "-o", Path.Combine(_work, "hello")], _work, new(), (r, what) =>
        {
            Assert.That(r.ExitCode, Is.Zero, what + r.Output);
            Assert.That(ProcessResult.Run(Path.Combine(_work, "hello"), [], _work).Stdout, Is.EqualTo("hello from gcc\n"), what);
        });

        // python3: the standard library (json, and sqlite3 with its C extension) found beside itself.
        var script = "import json, sqlite3, sys; print(json.dumps({'sqlite': sqlite3.sqlite_version}), sys.prefix, sys.executable)";
        var py = ProcessResult.Run(programs["python3.11"], ["-c", script], _work);
        ColdAndWarm(Packed("python3.11"), ["-c", script], _work, new(), (r, what) =>
        {
            Assert.That(r.ExitCode, Is.Zero, what + r.Output);
            Assert.That(r.Stdout, Is.EqualTo(py.Stdout.Replace(" /usr /usr/bin/python3.11", $" {prefix} {Packed("python3.11")}")), what);
        });
    }

    [Test]
    public void Static_static_pie_position_dependent_and_musl_programs_see_the_packed_file_as_themselves()
    {
        Sandbox.RequireTools("musl-gcc");
        var programs = new[]
        {
            ("pie", Compile("gcc", Path.Combine(_work, "who-pie"), "-O2", "-pie", "-fPIE")),
            ("fixed", Compile("gcc", Path.Combine(_work, "who-fixed"), "-O2", "-no-pie", "-fno-pie")),
            ("static", Compile("gcc", Path.Combine(_work, "who-static"), "-O2", "-static")),
            ("static-pie", Compile("gcc", Path.Combine(_work, "who-static-pie"), "-O2", "-static-pie")),
            ("musl-static", Compile("musl-gcc", Path.Combine(_work, "who-musl"), "-O2", "-static")),
            ("musl-dynamic", Compile("musl-gcc", Path.Combine(_work, "who-musl-dynamic"), "-O2")),
        };
        foreach (var stubPlatform in new[] { "linux-x64", "linux-x64-musl" })
        {
            // binpress refuses a glibc stub for a program that needs musl's loader (the stub would not start on its systems).
            foreach (var (kind, original) in programs.Where(p => p.Item1 != "musl-dynamic" || stubPlatform == "linux-x64-musl"))
            {
                var packed = Path.Combine(_work, "who-" + stubPlatform, Path.GetFileName(original));
                Press(original, packed, stubPlatform);
                ColdAndWarm(packed, ["a", "b"], _work, new(), (r, what) =>
                {
                    Assert.That(r.ExitCode, Is.EqualTo(3), $"{kind} with the {stubPlatform} stub, {what}: {r.Output}");
                    Assert.That(r.Stdout, Is.EqualTo($"exe={packed} execfn={packed} argv0={packed} args=2 heap=7 bss=3\n"), $"{kind}, {stubPlatform} stub, {what}");
                });
            }
        }

        // An argument list near the kernel's limit (a quarter of the 8 MiB stack) starts as it would by exec.
        var many = Enumerable.Range(0, 25_000).Select(i => $"argument-{i:D6}-" + new string('x', 50)).ToArray();
        var big = Path.Combine(_work, "who-linux-x64", "who-pie");
        var r = ProcessResult.Run(big, many, _work, Env(FreshCache()));
        Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((3, $"exe={big} execfn={big} argv0={big} args=25000 heap=7 bss={unchecked((sbyte)(25001 & 0xff))}\n")), r.Stderr);
    }

    [Test]
    public void A_library_found_through_ORIGIN_loads_beside_the_packed_file_where_exec_from_the_cache_cannot()
    {
        var prefix = Path.Combine(_work, "origin");
        Directory.CreateDirectory(Path.Combine(prefix, "lib"));
        File.WriteAllText(Path.Combine(_work, "greet.c"), "const char *greeting(void) { return \"found beside me\"; }\n");
        File.WriteAllText(Path.Combine(_work, "greeter.c"),
            "#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n");
        var lib = ProcessResult.Run("gcc", ["-shared", "-fPIC", Path.Combine(_work, "greet.c"), "-o", Path.Combine(prefix, "lib", "libgreet.so")], _work);
        Assert.That(lib.ExitCode, Is.Zero, lib.Output);
        var exe = ProcessResult.Run("gcc", [Path.Combine(_work, "greeter.c"), "-o", Path.Combine(_work, "greeter"), "-L" + Path.Combine(prefix, "lib"), "-lgreet",
            "-Wl,-rpath,$ORIGIN/../lib"], _work);
        Assert.That(exe.ExitCode, Is.Zero, exe.Output);
        var packed = Path.Combine(prefix, "bin", "greeter");
        Press(Path.Combine(_work, "greeter"), packed);

        ColdAndWarm(packed, [], _work, new(), (r, what) => Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((0, "found beside me\n")), what + r.Output));

        // What an exec from the cache does: $ORIGIN is the cache folder, and the library is not there.
        var viaExec = ProcessResult.Run(packed, [], _work, Env(FreshCache(), ("BTM_DLX_EXEC", "1")));
        Assert.That(viaExec.ExitCode, Is.Not.Zero);
        Assert.That(viaExec.Stderr, Does.Contain("greeter: exec: BTM_DLX_EXEC=1").And.Contain("libgreet.so: cannot open shared object file"));
    }

    [Test]
    public void What_cannot_load_in_place_is_executed_and_the_trace_says_why()
    {
        var cases = new List<(string Name, string Program, string Stub, string Why)>
        {
            ("execstack", Compile("gcc", Path.Combine(_work, "who-execstack"), "-O2", "-z", "execstack"), "linux-x64", "asks for an executable stack"),
        };
        // A payload appended after the ELF image (.NET single-file bundles, PyInstaller, Bun, Deno, AppImage) is read back
        // through /proc/self/exe: in place that would be the packed file, so such a program is executed from the cache.
        var bundled = Compile("gcc", Path.Combine(_work, "who-bundled"), "-O2");
        using (var file = new FileStream(bundled, FileMode.Append))
            file.Write(System.Text.Encoding.ASCII.GetBytes(new string('p', 4000) + "BUNDLE-TRAILER\n"));
        cases.Add(("bundle", bundled, "linux-x64", "carries 4015 bytes after its ELF image"));
        if (_stubs.ContainsKey("linux-x64-musl"))
        {
            // The musl-gcc stub is position-dependent at 0x70000000: a program wanting that address cannot load beside it.
            cases.Add(("collision", Compile("gcc", Path.Combine(_work, "who-collides"), "-O2", "-no-pie", "-fno-pie", "-Wl,-Ttext-segment=0x70000000"),
                "linux-x64-musl", "its fixed addresses 0x70000000-"));
        }
        foreach (var (name, program, stub, why) in cases)
        {
            var packed = Path.Combine(_work, "fallback-" + name, Path.GetFileName(program));
            Press(program, packed, stub);
            foreach (var run in new[] { "cold", "warm" })
            {
                var cache = FreshCache();
                var r = ProcessResult.Run(packed, ["x"], _work, Env(cache));
                Assert.That(r.ExitCode, Is.EqualTo(3), $"{name} {run}: {r.Output}");
                Assert.That(r.Stderr, Does.Contain($"{Path.GetFileName(packed)}: exec: ").And.Contain(why), $"{name} {run}");
                Assert.That(r.Stdout, Does.StartWith($"exe={cache}/"), $"{name} {run}: executed from the cache entry");
                var quiet = ProcessResult.Run(packed, ["x"], _work, new Dictionary<string, string?> { ["BTM_DLX_DIR"] = cache });
                Assert.That((quiet.ExitCode, quiet.Stderr), Is.EqualTo((3, "")), $"{name}: the fallback is silent without BTM_DLX_TRACE");
            }
        }

        // An interpreter that does not exist: neither path can run it, and the error says so.
        var noInterp = Compile("gcc", Path.Combine(_work, "who-no-interp"), "-O2", "-Wl,--dynamic-linker=/nonexistent/ld-linux-x86-64.so.2");
        var packedNoInterp = Path.Combine(_work, "fallback-interp", "who-no-interp");
        Press(noInterp, packedNoInterp);
        var failed = ProcessResult.Run(packedNoInterp, [], _work, Env(FreshCache()));
        Assert.That(failed.ExitCode, Is.EqualTo(123), failed.Output);
        Assert.That(failed.Stderr, Does.Contain("exec: cannot open its interpreter /nonexistent/ld-linux-x86-64.so.2").And.Contain("cannot execute the extracted binary"));
    }

    [Test]
    public void A_dotnet_single_file_app_finds_its_bundle_because_it_runs_from_the_cache_entry()
    {
        var project = Path.Combine(_work, "single-file");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "single-file.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
                <PublishSingleFile>true</PublishSingleFile>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"single-file app says hello\");\n");
        var publish = ProcessResult.Run("dotnet", ["publish", project, "-c", "Release", "-o", Path.Combine(project, "out"), "-nologo"], project, timeoutSeconds: 600);
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
        var packed = Path.Combine(_work, "single-file-packed", "single-file");
        Press(Path.Combine(project, "out", "single-file"), packed);
        var cache = FreshCache();
        foreach (var run in new[] { "cold", "warm" })
        {
            var r = ProcessResult.Run(packed, [], _work, Env(cache));
            Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((0, "single-file app says hello\n")), $"{run}: {r.Output}");
            Assert.That(r.Stderr, Does.Contain("single-file: exec: ").And.Contain("bytes after its ELF image"), run);
        }
    }

    [Test]
    public void Four_concurrent_compressed_nodes_share_their_text_pages()
    {
        Sandbox.RequireTools("node");
        var packed = Path.Combine(_work, "shared", "node");
        Press(Sandbox.Which("node"), packed);
        var cache = FreshCache();
        Assert.That(ProcessResult.Run(packed, ["-e", "0"], _work, Env(cache)).ExitCode, Is.Zero);
        var processes = new List<Process>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var start = new ProcessStartInfo(packed, ["-e", "console.log('ready'); setTimeout(() => {}, 60000)"]) { RedirectStandardOutput = true };
                start.Environment["BTM_DLX_DIR"] = cache;
                var p = Process.Start(start)!;
                Assert.That(p.StandardOutput.ReadLine(), Is.EqualTo("ready"));
                processes.Add(p);
            }
            long pss = 0, rss = 0, fileBacked = 0;
            foreach (var p in processes)
            {
                var rollup = File.ReadAllLines($"/proc/{p.Id}/smaps_rollup");
                long Field(string name) => long.Parse(rollup.Single(l => l.StartsWith(name + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
                pss += Field("Pss");
                rss += Field("Rss");
                fileBacked += Field("Pss_File");
                Assert.That(File.ReadAllText($"/proc/{p.Id}/maps"), Does.Contain(Path.Combine(cache, "")), "node's text is mapped from the cache entry");
            }
            TestContext.Out.WriteLine($"four compressed nodes: sum of PSS {pss} kB, sum of RSS {rss} kB, file-backed PSS {fileBacked} kB");
            Assert.That(pss, Is.LessThan(rss * 0.7), "the text pages are shared between the four processes");
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Kill();
                p.WaitForExit();
            }
        }
    }

    [Test]
    public void Arm64_cmake_gcc_python3_node_git_and_static_programs_run_in_place_under_qemu()
    {
        Sandbox.RequireTools("qemu-aarch64", "apt-get", "dpkg-deb", "aarch64-linux-gnu-gcc");
        Stub("linux-arm64");
        var root = Arm64Root.Ensure();
        var prefix = Path.Combine(_work, "arm64", "usr");
        Directory.CreateDirectory(Path.Combine(prefix, "share"));
        Directory.CreateDirectory(Path.Combine(prefix, "lib"));
        var cmakeShare = Directory.GetDirectories(Path.Combine(root, "usr", "share"), "cmake-*").Single();
        Directory.CreateSymbolicLink(Path.Combine(prefix, "share", Path.GetFileName(cmakeShare)), cmakeShare);
        Directory.CreateSymbolicLink(Path.Combine(prefix, "lib", "python3.11"), Path.Combine(root, "usr", "lib", "python3.11"));
        Directory.CreateSymbolicLink(Path.Combine(prefix, "lib", "gcc"), Path.Combine(root, "usr", "lib", "gcc"));
        foreach (var (name, file) in new[] { ("cmake", "cmake"), ("gcc", "aarch64-linux-gnu-gcc-12"), ("python3.11", "python3.11"), ("node", "node"), ("git", "git") })
            Press(Path.Combine(root, "usr", "bin", file), Path.Combine(prefix, "bin", name), "linux-arm64");
        string Packed(string name) => Path.Combine(prefix, "bin", name);
        // qemu-user finds the arm64 loader and libraries under the root; arm64 programs that gcc starts (cc1, as, ld) come through binfmt_misc.
        var env = new Dictionary<string, string?> { ["QEMU_LD_PREFIX"] = root, ["PATH"] = Path.Combine(root, "usr", "bin") + ":" + Environment.GetEnvironmentVariable("PATH") };

        foreach (var (name, args) in new[] { ("cmake", new[] { "--version" }), ("git", new[] { "--version" }), ("node", new[] { "-p", "process.arch + ' ' + process.version" }) })
        {
            var original = ProcessResult.Run("qemu-aarch64", [Path.Combine(root, "usr", "bin", name), .. args], _work, env);
            Assert.That(original.ExitCode, Is.Zero, original.Output);
            ColdAndWarm(Packed(name), args, _work, env, (r, what) => Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((0, original.Stdout)), what), "qemu-aarch64");
        }
        ColdAndWarm(Packed("node"), ["-p", "process.execPath"], _work, env, (r, what) => Assert.That(r.Stdout.Trim(), Is.EqualTo(Packed("node")), what), "qemu-aarch64");
        File.WriteAllText(Path.Combine(_work, "root.cmake"), "message(\"${CMAKE_ROOT}\")\n");
        ColdAndWarm(Packed("cmake"), ["-P", Path.Combine(_work, "root.cmake")], _work, env, (r, what) =>
            Assert.That(WithoutTrace(r.Stderr).Trim(), Is.EqualTo(Path.Combine(prefix, "share", Path.GetFileName(cmakeShare))), what), "qemu-aarch64");

        var hello = Path.Combine(_work, "hello-arm64.c");
        File.WriteAllText(hello, "#include <stdio.h>\nint main(void) { puts(\"hello from arm64 gcc\"); return 0; }\n");
        ColdAndWarm(Packed("gcc"), [hello, "-o", Path.Combine(_work, "hello-arm64")], _work, env, (r, what) =>
        {
            Assert.That(r.ExitCode, Is.Zero, what + r.Output);
            var run = ProcessResult.Run("qemu-aarch64", [Path.Combine(_work, "hello-arm64")], _work, env);
            Assert.That(run.Stdout, Is.EqualTo("hello from arm64 gcc\n"), what);
        }, "qemu-aarch64");

        ColdAndWarm(Packed("python3.11"), ["-c", "import json, sqlite3, sys; print(json.dumps([sqlite3.sqlite_version]), sys.prefix, sys.executable)"], _work, env,
            (r, what) =>
            {
                Assert.That(r.ExitCode, Is.Zero, what + r.Output);
                Assert.That(r.Stdout, Does.Match($"^\\[\"3\\.[0-9.]+\"\\] {Regex.Escape(prefix)} {Regex.Escape(Packed("python3.11"))}\n$"), what);
            }, "qemu-aarch64");

        foreach (var (kind, flags) in new[] { ("static", new[] { "-static" }), ("static-pie", new[] { "-static-pie" }), ("pie", new[] { "-pie", "-fPIE" }) })
        {
            var original = Compile("aarch64-linux-gnu-gcc", Path.Combine(_work, "who-arm64-" + kind), ["-O2", .. flags]);
            var packed = Path.Combine(_work, "arm64-who", Path.GetFileName(original));
            Press(original, packed, "linux-arm64");
            ColdAndWarm(packed, ["a"], _work, env, (r, what) =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(3), what + r.Output);
                Assert.That(r.Stdout, Is.EqualTo($"exe={packed} execfn={packed} argv0={packed} args=1 heap=7 bss=2\n"), what);
            }, "qemu-aarch64");
        }
    }
}

/// <summary>
/// Debian's arm64 cmake, gcc, python3.11, git and nodejs with everything they need, unpacked into one
/// folder for qemu-user: fetched with apt from the machine's own sources into private state (the
/// machine's dpkg database is never touched), once per machine.
/// </summary>
internal static class Arm64Root
{
    private static readonly string[] Packages = ["cmake", "gcc-12", "libc6-dev", "python3.11", "git", "nodejs"];

    public static string Ensure()
    {
        var id = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(" ", Packages))))[..12].ToLowerInvariant();
        var root = Path.Combine(Path.GetTempPath(), "btm-arm64-root-" + id);
        if (File.Exists(Path.Combine(root, ".complete")))
            return root;
        var state = root + ".state-" + Guid.NewGuid().ToString("N")[..8];
        var staging = root + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Directory.CreateDirectory(Path.Combine(state, "lists", "partial"));
            Directory.CreateDirectory(Path.Combine(state, "cache", "archives", "partial"));
            File.WriteAllText(Path.Combine(state, "status"), "");
            string[] options =
            [
                "-o", "APT::Architecture=arm64", "-o", "APT::Architectures::=arm64", "-o", $"Dir::State::Lists={state}/lists",
                "-o", $"Dir::State::status={state}/status", "-o", $"Dir::Cache={state}/cache", "-o", "Debug::NoLocking=1",
            ];
            var update = ProcessResult.Run("apt-get", [.. options, "-qq", "update"], state, timeoutSeconds: 600);
            if (update.ExitCode != 0)
                Assert.Ignore($"Debian's arm64 package lists are not reachable: {update.Output.Trim()}");
            var fetch = ProcessResult.Run("apt-get", [.. options, "-qq", "-y", "--no-install-recommends", "--download-only", "install", .. Packages], state, timeoutSeconds: 900);
            Assert.That(fetch.ExitCode, Is.Zero, fetch.Output);
            Directory.CreateDirectory(staging);
            foreach (var deb in Directory.GetFiles(Path.Combine(state, "cache", "archives"), "*.deb"))
            {
                var x = ProcessResult.Run("dpkg-deb", ["-x", deb, staging], state);
                Assert.That(x.ExitCode, Is.Zero, x.Output);
            }
            File.WriteAllText(Path.Combine(staging, ".complete"), string.Join("\n", Packages));
            try
            {
                Directory.Move(staging, root);
            }
            catch (IOException) when (File.Exists(Path.Combine(root, ".complete")))
            {
            }
            return root;
        }
        finally
        {
            if (Directory.Exists(state))
                Directory.Delete(state, true);
            if (Directory.Exists(staging))
                ProcessResult.Run("rm", ["-rf", staging], Path.GetTempPath());
        }
    }
}

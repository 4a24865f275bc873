namespace Btm.Build.Tests;

/// <summary>Targets other than the host, built here with Debian's cross toolchains and run where this machine can.</summary>
[Order(3)]
public class PlatformsTests
{
    [Test]
    public void Three_linux_targets_build_test_pack_and_verify_each_running_natively_or_under_qemu()
    {
        Sandbox.RequireTools("make", "cc", "npm", "musl-gcc", "aarch64-linux-gnu-gcc", "qemu-aarch64");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the cross toolchains here build from linux-x64");
        using var box = new Sandbox();
        box.AddEchoer("multi", "\"targets\": [\"linux-x64\", \"linux-x64-musl\", \"linux-arm64\"]");
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=all");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        foreach (var platform in new[] { "linux-x64", "linux-x64-musl", "linux-arm64" })
            Assert.That(box.LastSummary().Single(s => s.Platform == platform && s.Stage == "test").Outcome, Is.EqualTo("passed"), platform);

        Assert.That(box.Run("--target=Package", "--platform=all").ExitCode, Is.Zero);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("multi --version on linux-arm64 (under qemu-aarch64): multi 0.1.0"));
        Assert.That(verify.Output, Does.Contain("multi --version on linux-x64-musl: multi 0.1.0"));
        Assert.That(verify.Output, Does.Contain("other platforms: linux-arm64 run under qemu-aarch64; linux-x64-musl run natively"));

        // What shipped for each target is that target's: the ELF machine and the loader.
        foreach (var (platform, machine, loader) in new[]
                 {
                     ("linux-x64-musl", "x86-64", "ld-musl-x86_64.so.1"), ("linux-arm64", "ARM aarch64", "ld-linux-aarch64.so.1"),
                 })
        {
            var binary = Path.Combine(box.Package("multi"), "build", "dev", platform, "out", "Final", "multi");
            var file = ProcessResult.Run("file", [binary], box.Root).Stdout;
            Assert.That(file, Does.Contain(machine).And.Contain(loader), platform);
        }
    }

    [Test]
    public void Zig_builds_darwin_and_arm64_musl_and_Verify_checks_the_Mach_O_files_and_runs_the_musl_one_under_qemu()
    {
        Sandbox.RequireTools("make", "npm", "qemu-aarch64", "llvm-objdump", "file");
        Sandbox.RequireZig();
        using var box = new Sandbox();
        box.AddReleaseTooling();
        box.AddEchoer("zz", "\"targets\": [\"darwin-x64\", \"darwin-arm64\", \"linux-arm64-musl\"]");
        box.CommitAll();
        var package = box.Run("--target=Package", "--platform=all", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        Assert.That(box.LastSummary().Single(s => s.Platform == "darwin-arm64" && s.Stage == "stripped").Detail,
            Does.Contain("kept as linked: stripping would void the ad-hoc code signature"));

        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("zz for darwin-arm64: Mach-O executable, arm64, macOS").And.Contain("entry point, code signature"));
        Assert.That(verify.Output, Does.Contain("zz for darwin-x64: Mach-O executable, x64, macOS"));
        Assert.That(verify.Output, Does.Contain("zz --version on linux-arm64-musl (under qemu-aarch64): zz 0.1.0"));
        Assert.That(verify.Output, Does.Contain("darwin-arm64 checked, not run: needs a macOS runner"));

        // An independent reader agrees: LLVM's Mach-O dump and file(1).
        var arm = Path.Combine(box.Package("zz"), "build", "prod", "darwin-arm64", "out", "Final", "zz");
        var dump = ProcessResult.Run("llvm-objdump", ["--macho", "--private-headers", arm], box.Root).Stdout;
        Assert.That(dump, Does.Contain("cmd LC_MAIN").And.Contain("cmd LC_CODE_SIGNATURE").And.Contain("cmd LC_BUILD_VERSION"));
        Assert.That(ProcessResult.Run("file", [arm], box.Root).Stdout, Does.Contain("Mach-O 64-bit arm64 executable"));
        var musl = Path.Combine(box.Package("zz"), "build", "prod", "linux-arm64-musl", "out", "Final", "zz");
        Assert.That(ProcessResult.Run("file", [musl], box.Root).Stdout, Does.Contain("ARM aarch64").And.Contain("statically linked"),
            "musl binaries carry the musl interpreter or none");

        // And the check can fail: an x64 build is not an arm64 one; an ELF file is no Mach-O at all.
        var x64 = Path.Combine(box.Package("zz"), "build", "prod", "darwin-x64", "out", "Final", "zz");
        Assert.That(Btm.Core.Platforms.MachOCheck.Check(x64, "arm64").Problems, Has.Some.Contains("built for cpu x64, not arm64"));
        Assert.That(Btm.Core.Platforms.MachOCheck.Check(musl, "arm64").Problems, Has.Some.Contains("is not a 64-bit little-endian Mach-O file"));
    }

    [Test, Order(1)]
    public void The_arm64_stubs_extract_and_run_a_compressed_program_under_qemu_cold_and_warm()
    {
        Sandbox.RequireTools("make", "npm", "aarch64-linux-gnu-gcc", "qemu-aarch64");
        Sandbox.RequireZig();
        // The stub execs the program it extracted; under qemu-user that exec goes to the kernel,
        // which runs an arm64 file only through a binfmt_misc entry (.ci/run registers Debian's).
        if (!File.Exists("/proc/sys/fs/binfmt_misc/qemu-aarch64"))
            Assert.Ignore("qemu-aarch64 is not registered with binfmt_misc (Debian: qemu-user-binfmt, then `systemd-binfmt` or .ci/run)");
        using var box = new Sandbox("bin-stub");
        box.AddReleaseTooling();
        box.AddEchoer("arm", "\"targets\": [\"linux-arm64\", \"linux-arm64-musl\"]");
        box.CommitAll();
        var build = box.Run("--target=Build", "--package=bin-stub,arm", "--platform=linux-arm64,linux-arm64-musl", "--mode=prod");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        var env = new Dictionary<string, string?> { ["QEMU_LD_PREFIX"] = "/usr/aarch64-linux-gnu" };
        foreach (var platform in new[] { "linux-arm64", "linux-arm64-musl" })
        {
            string Final(string package, string name) => Path.Combine(box.Package(package), "build", "prod", platform, "out", "Final", name);
            var program = Final("arm", "arm");
            var pressed = Path.Combine(box.Root, "pressed", platform, "arm");
            Directory.CreateDirectory(Path.GetDirectoryName(pressed)!);
            Btm.Core.Press.Binpress.Compress(program, Final("bin-stub", "bin-stub"), pressed, 3);
            env["BTM_DLX_DIR"] = Path.Combine(box.Root, "dlx-" + platform);
            foreach (var run in new[] { "cold", "warm" })
            {
                var version = ProcessResult.Run("qemu-aarch64", [pressed, "--version"], box.Root, env);
                Assert.That((version.ExitCode, version.Stdout), Is.EqualTo((0, "arm 0.1.0\n")), $"{platform} {run}: {version.Output}");
                var exit = ProcessResult.Run("qemu-aarch64", [pressed, "--exit", "7"], box.Root, env);
                Assert.That(exit.ExitCode, Is.EqualTo(7), $"{platform} {run}: the program's exit code");
            }
            var args = ProcessResult.Run("qemu-aarch64", [pressed, "a b", "", "ü"], box.Root, env);
            Assert.That(args.Stdout, Is.EqualTo("[a b][][ü]\n"), platform);
            var entry = Directory.GetDirectories(env["BTM_DLX_DIR"]!).Single();
            Assert.That(File.ReadAllBytes(Path.Combine(entry, "arm")), Is.EqualTo(File.ReadAllBytes(program)), $"{platform}: the cache holds the original");
        }
    }

    [Test]
    public void Win32_builds_with_mingw_and_its_tests_and_Verify_run_under_wine_and_a_compressed_program_ships_Authenticode_signed()
    {
        Sandbox.RequireTools("make", "npm", "x86_64-w64-mingw32-gcc", "file", "osslsigncode", "openssl");
        if (!File.Exists("/usr/lib/wine/wine64") && (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, "wine64"))))
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        using var box = new Sandbox("bin-stub");
        box.Write("packages/win/btm.json", """{ "name": "win", "description": "a Windows console program", "builder": "make", "binaries": ["win"], "targets": ["win32-x64"] }""");
        box.Write("packages/win/Makefile",
            "all:\n\t$(CC) -O2 -DVERSION=\\\"$(BTM_VERSION)\\\" -o $(BTM_OUT_DIR)/win$(BTM_EXE_SUFFIX) src/main.c\n" +
            "test: all\n\t$(BTM_RUN) $(BTM_OUT_DIR)/win$(BTM_EXE_SUFFIX) --version\n");
        box.Write("packages/win/src/main.c", "#include <stdio.h>\n#include <windows.h>\nint main(void) { printf(\"win %s on %lu\\n\", VERSION, (unsigned long)GetCurrentProcessId() > 0); return 0; }\n");
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=all", "--package=win");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        Assert.That(test.Output, Does.Contain("win win32-x64 dev: make test passed"));
        var exe = Path.Combine(box.Package("win"), "build", "dev", "win32-x64", "out", "Final", "win.exe");
        Assert.That(ProcessResult.Run("file", [exe], box.Root).Stdout, Does.Contain("PE32+ executable").And.Contain("x86-64"));
        Assert.That(Btm.Core.Platforms.ExecutableTarget.Read(exe)?.ToString(), Is.EqualTo("win32-x64"), "binpress reads the PE header the same way");

        Assert.That(box.Run("--target=Package", "--platform=all", "--package=win").ExitCode, Is.Zero);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("win --version on win32-x64 (under wine): win 0.1.0").And.Contain("win32-x64 run under wine"));

        // The Windows stub: built with mingw, its own tests under wine, then a compressed win.exe
        // that extracts into the cache on the first run and runs from it on the second.
        var stub = box.Run("--target=Test", "--package=bin-stub", "--platform=win32-x64", "--mode=prod");
        Assert.That(stub.ExitCode, Is.Zero, stub.Output);
        Assert.That(stub.Output, Does.Contain("bin-stub win32-x64 prod: 100% tests passed"));
        var stubExe = Path.Combine(box.Package("bin-stub"), "build", "prod", "win32-x64", "out", "Final", "bin-stub.exe");
        var pressed = Path.Combine(box.Root, "pressed", "win.exe");
        Directory.CreateDirectory(Path.GetDirectoryName(pressed)!);
        Btm.Core.Press.Binpress.Compress(exe, stubExe, pressed, 3);
        var wine = Path.Combine(box.Root, ".btm", "toolchains", "wine", "wine");
        var cache = Path.Combine(box.Root, "dlx");
        var env = new Dictionary<string, string?> { ["BTM_DLX_DIR"] = "Z:" + cache.Replace('/', '\\') };
        foreach (var run in new[] { "cold", "warm" })
        {
            var r = ProcessResult.Run(wine, [pressed, "--version"], box.Root, env);
            Assert.That((r.ExitCode, r.Stdout.Trim()), Is.EqualTo((0, "win 0.1.0 on 1")), $"{run}: {r.Output}");
        }
        var entry = Directory.GetDirectories(cache).Single();
        Assert.That(File.ReadAllBytes(Path.Combine(entry, "win.exe")), Is.EqualTo(File.ReadAllBytes(exe)), "the cache holds the original, byte for byte");
        Assert.That(Directory.GetFiles(entry).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { ".lock", ".win.exe.complete", "win.exe" }));

        // Compressed and Authenticode-signed by the pipeline: the certificate table follows the
        // trailer, and the stub, Verify and binflate read the file as packed.
        box.Write("packages/win/btm.json", """{ "name": "win", "description": "a Windows console program", "builder": "make", "binaries": ["win"], "targets": ["win32-x64"], "compress": true }""");
        // A megabyte of table makes compressing worth its cold start (compress.minSaving).
        box.Write("packages/win/src/main.c", "#include <stdio.h>\n#include <windows.h>\nstatic const char table[1 << 20] = \"win\";\n" +
            "int main(int argc, char **argv) { (void)argv; printf(\"%s %s on %lu\\n\", table + (argc > 5), VERSION, (unsigned long)GetCurrentProcessId() > 0); return 0; }\n");
        box.CommitAll();
        var certs = Path.Combine(box.Root, "certs");
        Directory.CreateDirectory(certs);
        var (pkcs12, password) = Btm.Build.Release.Authenticode.MakeLocal("BTM test");
        File.WriteAllBytes(Path.Combine(certs, "local.p12"), pkcs12);
        var signing = new Dictionary<string, string?> { ["BTM_AUTHENTICODE_CERT"] = Path.Combine(certs, "local.p12"), ["BTM_AUTHENTICODE_PASSWORD"] = password };
        var package = box.RunWith(signing, "--target=Package", "--platform=win32-x64", "--package=win", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var verifySigned = box.RunWith(signing, "--target=Verify", "--mode=prod");
        Assert.That(verifySigned.ExitCode, Is.Zero, verifySigned.Output);
        Assert.That(verifySigned.Output, Does.Contain("Authenticode: 1 win32 file(s) verify against CN=BTM test")
            .And.Contain("win --version on win32-x64 (under wine): win 0.1.0"));
        var manifest = Btm.Core.Release.ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(box.ReleaseDir, Btm.Core.Release.ReleaseManifest.FileName)));
        var tarball = manifest.Packages.Single(p => p.Platform == "win32-x64").Tarball;
        var unpacked = Path.Combine(box.Root, "unpacked");
        Btm.Core.IO.SafeArchive.Extract(Path.Combine(box.ReleaseDir, tarball), Path.GetFileName(tarball), unpacked, 1);
        var shipped = Directory.GetFiles(unpacked, "win.exe", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(shipped);
        Assert.That(Btm.Core.Platforms.PeSignature.CertificateTable(bytes, bytes.Length, Btm.Core.Press.PressTrailer.Size), Is.Not.Null, "signed");
        Assert.That(Btm.Core.Press.PressTrailer.HasMagic(shipped), Is.True, "compressed");
        var signedCache = Path.Combine(box.Root, "dlx-signed");
        var signedEnv = new Dictionary<string, string?> { ["BTM_DLX_DIR"] = "Z:" + signedCache.Replace('/', '\\') };
        foreach (var run in new[] { "cold", "warm" })
        {
            var r = ProcessResult.Run(wine, [shipped, "--version"], box.Root, signedEnv);
            Assert.That((r.ExitCode, r.Stdout.Trim()), Is.EqualTo((0, "win 0.1.0 on 1")), $"signed, {run}: {r.Output}");
        }
        var restored = Path.Combine(box.Root, "restored.exe");
        var original = Btm.Core.Press.Binpress.Restore(shipped, restored);
        Assert.That(File.ReadAllBytes(Path.Combine(Directory.GetDirectories(signedCache).Single(), "win.exe")), Is.EqualTo(File.ReadAllBytes(restored)),
            "the stub extracted what binflate restores");
        bytes[original.PayloadOffset + original.PayloadSize / 2] ^= 0x01;
        var flipped = Path.Combine(box.Root, "flipped", "win.exe");
        Directory.CreateDirectory(Path.GetDirectoryName(flipped)!);
        File.WriteAllBytes(flipped, bytes);
        var refused = ProcessResult.Run(wine, [flipped, "--version"], box.Root,
            new Dictionary<string, string?> { ["BTM_DLX_DIR"] = "Z:" + Path.Combine(box.Root, "dlx-flipped").Replace('/', '\\') });
        Assert.That(refused.ExitCode, Is.EqualTo(120), refused.Output);
        Assert.That(refused.Stderr, Does.Contain("corrupt"));
    }
}

using System.Formats.Tar;
using System.IO.Compression;

namespace Btm.Build.Tests;

/// <summary>
/// Upstream projects brought in with a btm.json alone: pinned sources from a loopback server,
/// builder options, install maps, licenses, versions, version probes; real cmake and make.
/// The suite's longest fixture: it starts first, its longest tests first (Parallelism.cs). Its
/// tests run one after another: NUnit queues a fixture's children behind every fixture waiting,
/// which started Jq last when they could run beside each other.
/// </summary>
[Order(1)]
public class OnboardingTests
{
    private static string Host => Sandbox.Host;

    /// <summary>An upstream C project whose Makefile builds in place (objects beside the sources), as a release tarball.</summary>
    private static byte[] UpstreamTarball(string version = "2.1.0") => FileServer.TarGz(
        ($"hello-{version}/", "", 0x1ED),
        ($"hello-{version}/Makefile",
            "all: hello\nhello: hello.o\n\t$(CC) -o hello hello.o\nhello.o: hello.c\n\t$(CC) $(CFLAGS) -c hello.c\n" +
            "test: hello\n\t$(BTM_RUN) ./hello --version\n", 0x1A4),
        ($"hello-{version}/hello.c",
            $"#include <stdio.h>\nint main(int c, char **v) {{ (void)c; (void)v; puts(\"hello {version}\"); return 0; }}\n", 0x1A4),
        ($"hello-{version}/COPYING", "GNU GENERAL PUBLIC LICENSE Version 2 (fixture)\n", 0x1A4));

    private static string HelloJson(string sources, string extra = "") => $$"""
        {
          "name": "hello",
          "description": "an upstream make project from its release tarball",
          "version": "2.1.0",
          "license": "GPL-2.0-only",
          "builder": "make",
          "binaries": ["hello"],
          "sources": [{{sources}}],
          "make": { "directory": "upstream", "targets": ["hello"] },
          "install": { "upstream/hello": "bin/hello" },
          "verify": { "args": ["--version"], "expect": "hello {version}" },
          "inputs": ["btm.json"]{{extra}}
        }
        """;

    private static Dictionary<string, string?> Downloads(Sandbox box, string name = "downloads") =>
        new() { ["BTM_DOWNLOAD_DIR"] = Path.Combine(box.Root, name) };

    private static string TarEntryText(string tarball, string path)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name == path)
                return new StreamReader(entry.DataStream!).ReadToEnd();
        }
        return "";
    }

    /// <summary>make check ran and passed where the programs run natively; the cross targets say why not.</summary>
    private static void AssertMakeCheckRanNatively(Sandbox box)
    {
        var tests = box.LastSummary().Where(s => s.Stage == "test").ToDictionary(s => s.Platform);
        Assert.That(tests.Keys, Is.EquivalentTo(new[] { "linux-x64", "linux-x64-musl", "linux-arm64", "win32-x64" }));
        Assert.That(tests["linux-x64"].Detail, Is.EqualTo("make check passed"));
        Assert.That(tests["linux-x64-musl"].Detail, Is.EqualTo("make check passed"));
        Assert.That(tests["linux-arm64"].Detail, Does.StartWith("not run: make check runs linux-arm64 programs directly"));
        Assert.That(tests["win32-x64"].Detail, Does.StartWith("not run: make check runs win32-x64 programs directly"));
    }

    private static List<string> TarEntries(string tarball)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry)
            names.Add(entry.Name);
        return names;
    }

    [Test]
    public void A_make_project_from_a_pinned_tarball_builds_unmodified_from_the_second_mirror_and_ships_its_license()
    {
        Sandbox.RequireTools("make", "cc", "npm");
        using var server = new FileServer();
        var tarball = UpstreamTarball();
        var good = server.Serve("dl/hello-2.1.0.tar.gz", tarball);
        var missing = server.Url("gone/hello-2.1.0.tar.gz");
        using var box = new Sandbox();
        box.Write("packages/hello/btm.json", HelloJson(
            $$"""{ "urls": ["{{missing}}", "{{good}}"], "sha256": "{{FileServer.Sha256(tarball)}}", "stripComponents": 1, "into": "upstream" }"""));
        box.CommitAll();

        var package = box.RunWith(Downloads(box), "--target=Package");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        Assert.That(package.Output, Does.Contain($"{missing}: answered 404").And.Contain("trying the next mirror"));
        Assert.That(package.Output, Does.Contain($"fetched hello-2.1.0.tar.gz from {good} (sha256 verified)"));
        Assert.That(Directory.GetFileSystemEntries(box.Package("hello")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "btm.json", "build" }),
            "the in-place make build ran in the work tree, not the package folder");

        var platform = Path.Combine(box.ReleaseDir, "npm", $"btm-hello-{Host}-2.1.0.tgz");
        Assert.That(TarEntries(platform), Does.Contain("package/COPYING").And.Contain("package/bin/hello"));
        var json = TarEntryText(platform, "package/package.json");
        Assert.That(json, Does.Contain("\"version\": \"2.1.0\"").And.Contain("\"license\": \"GPL-2.0-only\""), "per-package version and license");
        Assert.That(TarEntries(Path.Combine(box.ReleaseDir, "npm", "btm-hello-2.1.0.tgz")), Does.Contain("package/COPYING"), "the wrapper carries it too");

        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("hello --version via @btm/hello: hello 2.1.0"));

        var requests = server.Requests;
        var offline = box.RunWith(Downloads(box), "--target=Build", "--force", "--offline");
        Assert.That(offline.ExitCode, Is.Zero, offline.Output);
        Assert.That(server.Requests, Is.EqualTo(requests), "the download cache served it");

        var empty = box.RunWith(Downloads(box, "empty-cache"), "--target=Build", "--force", "--offline");
        Assert.That(empty.ExitCode, Is.EqualTo(1), empty.Output);
        Assert.That(empty.Output, Does.Contain($"hello-2.1.0.tar.gz (sha256 {FileServer.Sha256(tarball)}) is not in the download cache").And.Contain("--offline"));
    }

    [Test]
    public void A_download_under_way_in_one_build_survives_another_build_fetching_into_the_same_cache()
    {
        Sandbox.RequireTools("make", "cc");
        using var server = new FileServer();
        // Big enough that the first build's temp file holds half of it while the server waits.
        var noise = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20));
        var slowTarball = FileServer.TarGz(("hello-2.1.0/", "", 0x1ED), ("hello-2.1.0/Makefile",
            "all: hello\nhello: hello.c\n\t$(CC) -o hello hello.c\n", 0x1A4),
            ("hello-2.1.0/hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello 2.1.0\"); return 0; }\n", 0x1A4),
            ("hello-2.1.0/COPYING", "GPL (fixture)\n", 0x1A4), ("hello-2.1.0/noise.txt", noise, 0x1A4));
        var release = new TaskCompletionSource();
        var slow = server.ServeHeld("slow/hello-2.1.0.tar.gz", slowTarball, release.Task);
        var quickTarball = UpstreamTarball();
        var quick = server.Serve("quick/hello-2.1.0.tar.gz", quickTarball);
        var downloads = Path.Combine(Path.GetTempPath(), "btm-downloads-" + Guid.NewGuid().ToString("N")[..8]);
        using var first = new Sandbox();
        using var second = new Sandbox();
        try
        {
            first.Write("packages/hello/btm.json", HelloJson($$"""{ "urls": ["{{slow}}"], "sha256": "{{FileServer.Sha256(slowTarball)}}", "stripComponents": 1, "into": "upstream" }"""));
            second.Write("packages/hello/btm.json", HelloJson($$"""{ "urls": ["{{quick}}"], "sha256": "{{FileServer.Sha256(quickTarball)}}", "stripComponents": 1, "into": "upstream" }"""));
            first.CommitAll();
            second.CommitAll();
            var env = new Dictionary<string, string?> { ["BTM_DOWNLOAD_DIR"] = downloads };
            var held = Task.Run(() => first.RunWith(env, "--target=Build"));
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!(Directory.Exists(downloads) && Directory.EnumerateFiles(downloads).Any(f => new FileInfo(f).Length > 0 && Btm.Core.IO.AtomicFile.IsTemp(f))))
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the first build never started its download: " + (held.IsCompleted ? held.Result.Output : ""));
                Thread.Sleep(100);
            }
            // The second build starts its own download into the same folder, and finishes, while the first one's is half-way.
            var other = second.RunWith(env, "--target=Build");
            Assert.That(other.ExitCode, Is.Zero, other.Output);
            Assert.That(held.IsCompleted, Is.False, "the first download is still held");
            release.SetResult();
            var built = held.Result;
            Assert.That(built.ExitCode, Is.Zero, built.Output);
            Assert.That(built.Output, Does.Contain($"fetched hello-2.1.0.tar.gz from {slow} (sha256 verified)"));
            Assert.That(Directory.GetFiles(downloads).Select(Path.GetFileName).Order(),
                Is.EqualTo(new[] { FileServer.Sha256(quickTarball), FileServer.Sha256(slowTarball) }.Order()), "both archives, no temp file left");
        }
        finally
        {
            release.TrySetResult();
            if (Directory.Exists(downloads))
                Directory.Delete(downloads, recursive: true);
        }
    }

    [Test]
    public void Patches_in_the_package_are_applied_in_order_and_one_that_does_not_apply_names_itself()
    {
        Sandbox.RequireTools("make", "cc", "patch");
        using var server = new FileServer();
        var tarball = UpstreamTarball();
        var url = server.Serve("hello-2.1.0.tar.gz", tarball);
        using var box = new Sandbox();
        var source = $$"""{ "urls": ["{{url}}"], "sha256": "{{FileServer.Sha256(tarball)}}", "stripComponents": 1, "into": "upstream", "patches": ["patches/greet.patch"] }""";
        box.Write("packages/hello/btm.json", HelloJson(source).Replace("\"inputs\": [\"btm.json\"]", "\"inputs\": [\"btm.json\"]"));
        box.Write("packages/hello/patches/greet.patch",
            "--- a/hello.c\n+++ b/hello.c\n@@ -1,2 +1,2 @@\n #include <stdio.h>\n-int main(int c, char **v) { (void)c; (void)v; puts(\"hello 2.1.0\"); return 0; }\n" +
            "+int main(int c, char **v) { (void)c; (void)v; puts(\"hello 2.1.0 (patched)\"); return 0; }\n");
        var r = box.RunWith(Downloads(box), "--target=Build");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(ProcessResult.Run(box.Final("hello", "hello"), [], box.Root).Stdout, Is.EqualTo("hello 2.1.0 (patched)\n"));

        // The patch is in the key by its content even though "inputs" names only btm.json.
        var patch = Path.Combine(box.Package("hello"), "patches", "greet.patch");
        File.WriteAllText(patch, File.ReadAllText(patch).Replace("(patched)", "(patched twice)"));
        Assert.That(box.RunWith(Downloads(box), "--target=Build").ExitCode, Is.Zero);
        Assert.That(box.Outcome("hello", "compiled"), Is.EqualTo("built"));
        Assert.That(ProcessResult.Run(box.Final("hello", "hello"), [], box.Root).Stdout, Is.EqualTo("hello 2.1.0 (patched twice)\n"));

        File.WriteAllText(patch, "--- a/hello.c\n+++ b/hello.c\n@@ -1,1 +1,1 @@\n-#include <stdlib.h>\n+#include <string.h>\n");
        var broken = box.RunWith(Downloads(box), "--target=Build");
        Assert.That(broken.ExitCode, Is.EqualTo(1), broken.Output);
        Assert.That(broken.Output, Does.Contain("patch patches/greet.patch does not apply").And.Contain("Fix: regenerate it"));
    }

    [Test]
    public void A_hash_mismatch_names_the_url_and_both_hashes_and_caches_nothing()
    {
        Sandbox.RequireTools("make", "cc");
        using var server = new FileServer();
        var tarball = UpstreamTarball();
        var url = server.Serve("hello-2.1.0.tar.gz", tarball);
        var pinned = new string('a', 64);
        using var box = new Sandbox();
        box.Write("packages/hello/btm.json", HelloJson($$"""{ "urls": ["{{url}}"], "sha256": "{{pinned}}", "stripComponents": 1, "into": "upstream" }"""));
        var r = box.RunWith(Downloads(box), "--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain($"{url}: sha256 is {FileServer.Sha256(tarball)}, btm.json pins {pinned}"));
        Assert.That(Directory.Exists(Path.Combine(box.Root, "downloads")) ? Directory.GetFiles(Path.Combine(box.Root, "downloads")) : [], Is.Empty,
            "no bytes with the wrong hash enter the cache");
    }

    [TestCase("dotdot", "climbs out with '..'")]
    [TestCase("absolute", "has an absolute path")]
    [TestCase("link", "points outside the folder it unpacks into")]
    [TestCase("through-link", "written through the symlink")]
    public void An_archive_that_would_write_outside_its_folder_is_refused(string kind, string message)
    {
        Sandbox.RequireTools("make", "cc");
        (string, string, int)[] entries = kind switch
        {
            "dotdot" => [("hello-2.1.0/Makefile", "all:\n", 0x1A4), ("hello-2.1.0/../../../escaped.txt", "x", 0x1A4)],
            "absolute" => [("/tmp/escaped.txt", "x", 0x1A4)],
            "link" => [("hello-2.1.0/out", "link:../../../..", 0x1FF)],
            _ => [("hello-2.1.0/", "", 0x1ED), ("hello-2.1.0/here", "link:.", 0x1FF), ("hello-2.1.0/here/escaped.txt", "x", 0x1A4)],
        };
        var tarball = FileServer.TarGz(entries);
        using var server = new FileServer();
        var url = server.Serve("hello-2.1.0.tar.gz", tarball);
        using var box = new Sandbox();
        box.Write("packages/hello/btm.json", HelloJson($$"""{ "urls": ["{{url}}"], "sha256": "{{FileServer.Sha256(tarball)}}", "stripComponents": 1, "into": "upstream" }"""));
        var r = box.RunWith(Downloads(box), "--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain("hello-2.1.0.tar.gz: entry").And.Contain(message));
        Assert.That(Directory.GetFiles(box.Root, "escaped.txt", SearchOption.AllDirectories), Is.Empty);
        Assert.That(File.Exists("/tmp/escaped.txt"), Is.False);
    }

    [Test]
    public void A_cmake_project_in_a_subfolder_keeps_its_own_build_folder_through_Clean_and_in_the_key()
    {
        Sandbox.RequireTools("cmake", "cc");
        using var box = new Sandbox();
        box.Write("packages/sub/btm.json", """
            {
              "name": "sub",
              "description": "an upstream tree whose CMake project sits in build/cmake, as zstd's does",
              "builder": "cmake",
              "binaries": ["sub"],
              "cmake": { "sourceDir": "build/cmake", "cacheVariables": { "SUB_GREETING": "configured" } }
            }
            """);
        box.Write("packages/sub/build/cmake/CMakeLists.txt", """
            cmake_minimum_required(VERSION 3.20)
            project(sub LANGUAGES C)
            add_executable(sub ../../src/main.c)
            target_compile_definitions(sub PRIVATE GREETING="${SUB_GREETING}")
            enable_testing()
            add_test(NAME runs COMMAND sub)
            """);
        box.Write("packages/sub/src/main.c", "#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n");
        var build = box.Run("--target=Test");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        Assert.That(ProcessResult.Run(box.Final("sub", "sub"), [], box.Root).Stdout, Is.EqualTo("configured\n"), "cacheVariables reached CMake");

        var clean = box.Run("--target=Clean");
        Assert.That(clean.ExitCode, Is.Zero, clean.Output);
        Assert.That(File.Exists(Path.Combine(box.Package("sub"), "build", "cmake", "CMakeLists.txt")), Is.True, "upstream's build/ survives Clean");
        Assert.That(Directory.Exists(Path.Combine(box.Package("sub"), "build", "dev")), Is.False, "BTM's own output is gone");

        Assert.That(box.Run("--target=Build").ExitCode, Is.Zero);
        Assert.That(box.Outcome("sub", "compiled"), Is.EqualTo("built"));
        Assert.That(box.Run("--target=Build").ExitCode, Is.Zero);
        Assert.That(box.Outcome("sub", "compiled"), Is.EqualTo("restored"));
        File.AppendAllText(Path.Combine(box.Package("sub"), "build", "cmake", "CMakeLists.txt"), "# edited\n");
        Assert.That(box.Run("--target=Build").ExitCode, Is.Zero);
        Assert.That(box.Outcome("sub", "compiled"), Is.EqualTo("built"), "upstream's build/cmake is part of the key");
    }

    [Test]
    public void A_version_bump_rebuilds_an_in_place_make_project_from_a_clean_tree()
    {
        Sandbox.RequireTools("make", "cc");
        using var box = new Sandbox();
        box.Write("packages/inplace/btm.json", """
            { "name": "inplace", "description": "objects beside the sources", "builder": "make", "binaries": ["inplace"],
              "install": { "inplace": "bin/inplace" } }
            """);
        // hello.o does not depend on the version: an incremental make would keep the old one.
        box.Write("packages/inplace/Makefile",
            "inplace: main.o\n\t$(CC) -o inplace main.o\nmain.o: main.c\n\t$(CC) -DVERSION=\\\"$(BTM_VERSION)\\\" -c main.c\ntest: inplace\n");
        box.Write("packages/inplace/main.c", "#include <stdio.h>\nint main(void) { puts(VERSION); return 0; }\n");
        Assert.That(box.Run("--target=Build").ExitCode, Is.Zero);
        Assert.That(ProcessResult.Run(box.Final("inplace", "inplace"), [], box.Root).Stdout, Is.EqualTo("0.1.0\n"));
        var config = Path.Combine(box.Root, "cake.config");
        File.WriteAllText(config, File.ReadAllText(config).Replace("Version=0.1.0", "Version=0.2.0"));
        var bumped = box.Run("--target=Build");
        Assert.That(bumped.ExitCode, Is.Zero, bumped.Output);
        Assert.That(ProcessResult.Run(box.Final("inplace", "inplace"), [], box.Root).Stdout, Is.EqualTo("0.2.0\n"), "no stale object survived the key change");
        Assert.That(File.Exists(Path.Combine(box.Package("inplace"), "main.o")), Is.False, "objects stay in the work tree");
    }

    [Test]
    public void A_build_that_writes_into_the_package_folder_fails_naming_new_and_changed_files()
    {
        Sandbox.RequireTools("make", "cc");
        using var box = new Sandbox();
        box.AddMakePackage("leaky");
        box.Write("packages/leaky/Makefile",
            $"all:\n\t$(CC) -o $(BTM_OUT_DIR)/leaky src/main.c\n\techo x > {box.Package("leaky")}/leaked.txt\n" +
            $"\techo '/* edited */' >> {box.Package("leaky")}/src/main.c\ntest: all\n");
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain($"leaky {Host} dev: the build wrote new files into the package folder: leaked.txt; " +
            "files in the package folder changed while the build ran: src/main.c (edited during the build? then build again)"));
    }

    [Test]
    public void Cross_make_gets_the_whole_toolchain_and_make_test_runs_under_the_emulator()
    {
        Sandbox.RequireTools("make", "aarch64-linux-gnu-gcc", "qemu-aarch64");
        if (Host != "linux-x64")
            Assert.Ignore("the cross toolchain here targets linux-arm64 from linux-x64");
        using var box = new Sandbox();
        // Debian's cross gcc (not the default zig at the glibc floor): the make variables name its programs.
        box.SetConfig("Toolchains", "linux-arm64:gnu-cross");
        box.AddMakePackage("crossy", extraJson: "\"targets\": [\"linux-arm64\"]");
        box.Write("packages/crossy/Makefile",
            "all:\n\t$(CC) -o $(BTM_OUT_DIR)/crossy src/main.c\n\techo \"CC=$(CC) AR=$(AR) RANLIB=$(RANLIB) STRIP=$(STRIP) RUN=$(BTM_RUN)\" > $(BTM_OUT_DIR)/vars.txt\n" +
            "test: all\n\t$(BTM_RUN) $(BTM_OUT_DIR)/crossy\n");
        var r = box.Run("--target=Test", "--platform=linux-arm64");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("crossy linux-arm64 dev: make test passed"));
        var vars = File.ReadAllText(Path.Combine(box.Package("crossy"), "build", "dev", "linux-arm64", "work", "bin", "vars.txt"));
        Assert.That(vars, Does.Contain("CC=aarch64-linux-gnu-gcc").And.Contain("AR=aarch64-linux-gnu-ar").And.Contain("RANLIB=aarch64-linux-gnu-ranlib")
            .And.Contain("STRIP=aarch64-linux-gnu-strip").And.Match(@"RUN=\S*qemu-aarch64 -L /usr/aarch64-linux-gnu"));
    }

    [Test]
    public void The_version_probe_is_a_btm_json_setting_and_a_disabled_one_says_why()
    {
        Sandbox.RequireTools("make", "cc", "npm");
        using var box = new Sandbox();
        box.AddEchoer("alpha", "\"verify\": { \"args\": [\"--version\"], \"expect\": \"{name} {version}\" }");
        box.AddEchoer("beta", "\"verify\": { \"args\": [\"--version\"], \"expect\": \"beta-cli {version}\" }");
        box.AddEchoer("gamma", "\"verify\": { \"reason\": \"needs a GPU to start\" }");
        box.CommitAll();
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);
        var r = box.Run("--target=Verify");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain("alpha --version via @btm/alpha: alpha 0.1.0"));
        Assert.That(r.Output, Does.Contain("`beta --version` through @btm/beta exited 0 printing 'beta 0.1.0'; expected it to print 'beta-cli 0.1.0'"));
        Assert.That(r.Output, Does.Contain("@btm/gamma: its binary not run: needs a GPU to start"));
    }

    [Test]
    public void Compression_that_does_not_pay_ships_the_binary_uncompressed_and_says_so()
    {
        Sandbox.RequireTools("cmake", "cc", "pkg-config");
        using var box = new Sandbox("bin-stub");
        // Random bytes do not compress: the stub would only add to them.
        var random = new byte[200_000];
        new Random(7).NextBytes(random);
        box.AddMakePackage("noise", extraJson: "\"compress\": { \"minSaving\": 10 }");
        box.Write("packages/noise/src/main.c", "#include <stdio.h>\n#include \"blob.h\"\nint main(void) { printf(\"%d\\n\", (int)blob[7]); return 0; }\n");
        box.Write("packages/noise/src/blob.h", "static const unsigned char blob[] = {" + string.Join(",", random) + "};\n");
        var r = box.Run("--target=Build", "--mode=prod", "--package=noise");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("noise ships uncompressed: compressing saved").And.Contain("less than the 10% \"compress.minSaving\" asks"));
        Assert.That(box.LastSummary().Single(s => s.Package == "noise" && s.Stage == "compressed").Detail, Does.Contain("ships uncompressed"));
        var final = box.Final("noise", "noise", "prod");
        var stripped = Path.Combine(box.Package("noise"), "build", "prod", Host, "out", "Stripped", "noise");
        Assert.That(File.ReadAllBytes(final), Is.EqualTo(File.ReadAllBytes(stripped)), "the plain stripped binary ships");
    }

    [Test, Order(3)]
    public void Real_upstream_projects_from_Debian_sources_release_with_a_btm_json_only()
    {
        Sandbox.RequireTools("make", "cc", "cmake", "apt-get", "node", "npm");
        if (!File.Exists(Path.Combine(Sandbox.RepoRoot, "node_modules", "verdaccio", "bin", "verdaccio")))
            Assert.Ignore("verdaccio is not installed: run `npm ci` in the repo (test.sh does)");
        using var box = new Sandbox();
        foreach (var example in new[] { "lua", "zstd", "xxhash" })
        {
            Directory.CreateDirectory(box.Package(example));
            File.Copy(Path.Combine(Sandbox.RepoRoot, "examples", example, "btm.json"), Path.Combine(box.Package(example), "btm.json"));
        }
        box.CommitAll();
        box.AddReleaseTooling();
        // The shared download cache: a second run of the suite finds both archives there.
        var release = box.Run("--target=Release");
        if (release.Output.Contains("could not get") && release.Output.Contains("apt-get"))
            Assert.Ignore($"Debian's archive is not reachable from here: {release.Output.Split('\n').First(l => l.Contains("could not get"))}");
        Assert.That(release.ExitCode, Is.Zero, release.Output);
        Assert.That(release.Output, Does.Contain("lua -v via @btm/lua: Lua 5.4.4").And.Contain("zstd --version via @btm/zstd: *** Zstandard CLI")
            .And.Contain("xxhsum --version via @btm/xxhash: xxhsum 0.8.1"));
        Assert.That(release.Output, Does.Contain("released to"));
        foreach (var example in new[] { "lua", "zstd", "xxhash" })
            Assert.That(Directory.GetFileSystemEntries(box.Package(example)).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "btm.json", "build" }));
        var zstd = Path.Combine(box.ReleaseDir, "npm", $"btm-zstd-{Host}-1.5.4.tgz");
        Assert.That(TarEntries(zstd), Does.Contain("package/LICENSE").And.Contain("package/COPYING"), "zstd's own license files ship");
        Assert.That(TarEntryText(zstd, "package/package.json"), Does.Contain("\"license\": \"BSD-3-Clause OR GPL-2.0-only\""));
        // Debian's own patch series went in before the build (its one patch pins the pkg-config prefix).
        Assert.That(release.Output, Does.Contain("applied Debian's 1 patch(es) from xxhash_0.8.1-1.debian.tar.xz"));
        Assert.That(File.ReadAllText(Path.Combine(box.Package("xxhash"), "build", "prod", Host, "work", "src", "upstream", "libxxhash.pc.in")), Does.Contain("prefix=/usr"));
        // xxhsum: the library's BSD text and the command's GPL text, as its btm.json names them.
        var xxhash = Path.Combine(box.ReleaseDir, "npm", $"btm-xxhash-{Host}-0.8.1.tgz");
        Assert.That(TarEntries(xxhash), Does.Contain("package/LICENSE").And.Contain("package/COPYING"));
        Assert.That(TarEntryText(xxhash, "package/package.json"), Does.Contain("\"license\": \"BSD-2-Clause AND GPL-2.0-or-later\""));
    }

    [Test, Order(2)]
    public void Gnu_hello_comes_in_by_configure_and_make_for_four_targets_and_runs_on_each()
    {
        Sandbox.RequireTools("make", "node", "npm", "musl-gcc", "x86_64-w64-mingw32-gcc", "qemu-aarch64");
        if (Host != "linux-x64")
            Assert.Ignore("the four targets are cross-built from linux-x64");
        using var box = new Sandbox();
        Directory.CreateDirectory(box.Package("hello"));
        File.Copy(Path.Combine(Sandbox.RepoRoot, "examples", "hello", "btm.json"), Path.Combine(box.Package("hello"), "btm.json"));
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=linux-x64,linux-x64-musl,linux-arm64,win32-x64", "--mode=prod");
        if (test.Output.Contains("could not get") && test.Output.Contains("apt-get"))
            Assert.Ignore($"Debian's archive is not reachable from here: {test.Output.Split('\n').First(l => l.Contains("could not get"))}");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        AssertMakeCheckRanNatively(box);
        var package = box.Run("--target=Package", "--platform=linux-x64,linux-x64-musl,linux-arm64,win32-x64", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("hello --version via @btm/hello: hello (GNU Hello) 2.10"), "upstreamVersion: 2.10, where npm has 2.10.0");
        Assert.That(verify.Output, Does.Contain("hello --version on linux-arm64 (under qemu-aarch64): hello (GNU Hello) 2.10"));
        Assert.That(verify.Output, Does.Contain("hello --version on win32-x64 (under wine): hello (GNU Hello) 2.10"));
        Assert.That(verify.Output, Does.Contain("hello --version on linux-x64-musl: hello (GNU Hello) 2.10"));
        Assert.That(Directory.GetFileSystemEntries(box.Package("hello")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "btm.json", "build" }), "a btm.json and nothing else");
        Assert.That(TarEntries(Path.Combine(box.ReleaseDir, "npm", "btm-hello-linux-x64-2.10.0.tgz")), Does.Contain("package/COPYING"), "GNU hello's GPL ships");
    }

    [Test]
    public void Autoreconf_runs_once_for_all_targets_and_make_never_regenerates_its_output()
    {
        Sandbox.RequireTools("make", "musl-gcc", "autoreconf", "automake");
        if (Host != "linux-x64")
            Assert.Ignore("the second target is musl on linux-x64");
        using var box = new Sandbox();
        box.Write("packages/greet/btm.json", """
            {
              "name": "greet",
              "description": "fixture greet: an automake project without configure",
              "builder": "autotools",
              "targets": ["linux-x64", "linux-x64-musl"],
              "binaries": ["greet"],
              "inputs": ["configure.ac", "Makefile.am", "greet.c"],
              "autotools": { "autoreconf": true }
            }
            """);
        box.Write("packages/greet/configure.ac", "AC_INIT([greet], [1.0])\nAM_INIT_AUTOMAKE([foreign])\nAC_PROG_CC\nAC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n");
        box.Write("packages/greet/Makefile.am", "bin_PROGRAMS = greet\ngreet_SOURCES = greet.c\n");
        box.Write("packages/greet/greet.c", "#include <stdio.h>\nint main(void) { puts(PACKAGE_STRING); return 0; }\n");
        // The real autoreconf, counted: a shim ahead of it on PATH notes each run.
        var shims = Path.Combine(box.Root, "shims");
        var count = Path.Combine(box.Root, "autoreconf-runs");
        var real = ProcessResult.Run("sh", ["-c", "command -v autoreconf"], box.Root).Stdout.Trim();
        box.Write("shims/autoreconf", $"#!/bin/sh\necho \"$PWD\" >> '{count}'\nexec '{real}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(shims, "autoreconf"), (UnixFileMode)0b111_101_101);
        box.CommitAll();
        var env = new Dictionary<string, string?> { ["PATH"] = shims + ":" + Environment.GetEnvironmentVariable("PATH") };

        var build = box.RunWith(env, "--target=Build", "--platform=linux-x64,linux-x64-musl");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        Assert.That(File.ReadAllLines(count), Has.Length.EqualTo(1), "one autoreconf for both targets");
        var shared = Directory.GetDirectories(Path.Combine(box.Package("greet"), "build", "dev", ".autoreconf"));
        Assert.That(shared, Has.Length.EqualTo(1));
        foreach (var platform in new[] { "linux-x64", "linux-x64-musl" })
        {
            var program = Path.Combine(box.Package("greet"), "build", "dev", platform, "out", "Final", "greet");
            Assert.That(ProcessResult.Run(program, [], box.Root).Stdout.Trim(), Is.EqualTo("greet 1.0"), platform);
            // make reruns autoconf or automake when a generated file looks older than its source: the copy kept the times.
            foreach (var generated in new[] { "configure", "Makefile.in", "aclocal.m4" })
            {
                var copy = Path.Combine(box.Package("greet"), "build", "dev", platform, "work", "src", generated);
                Assert.That(File.GetLastWriteTimeUtc(copy), Is.EqualTo(File.GetLastWriteTimeUtc(Path.Combine(shared[0], generated))), $"{platform} {generated}");
                Assert.That(File.ReadAllBytes(copy), Is.EqualTo(File.ReadAllBytes(Path.Combine(shared[0], generated))), $"{platform} {generated}");
            }
        }

        // Changed sources make a new tree, again once for both targets; the old one stays until it is an hour old.
        box.Write("packages/greet/configure.ac", "AC_INIT([greet], [2.0])\nAM_INIT_AUTOMAKE([foreign])\nAC_PROG_CC\nAC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n");
        var rebuild = box.RunWith(env, "--target=Build", "--platform=linux-x64,linux-x64-musl");
        Assert.That(rebuild.ExitCode, Is.Zero, rebuild.Output);
        Assert.That(File.ReadAllLines(count), Has.Length.EqualTo(2));
        Assert.That(Directory.GetDirectories(Path.Combine(box.Package("greet"), "build", "dev", ".autoreconf")), Has.Length.EqualTo(2));
        Assert.That(ProcessResult.Run(Path.Combine(box.Package("greet"), "build", "dev", "linux-x64-musl", "out", "Final", "greet"), [], box.Root).Stdout.Trim(),
            Is.EqualTo("greet 2.0"));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(box.Package("greet"), "build", "dev", ".autoreconf")).Where(e => Path.GetFileName(e).StartsWith('.')),
            Is.Empty, "no temp tree left");
    }

    [Test, Order(1)]
    public void Jq_comes_in_from_two_debian_sources_with_debians_patches_for_four_targets_and_runs_on_each()
    {
        Sandbox.RequireTools("make", "node", "npm", "musl-gcc", "x86_64-w64-mingw32-gcc", "qemu-aarch64", "autoreconf", "libtoolize");
        if (Host != "linux-x64")
            Assert.Ignore("the four targets are cross-built from linux-x64");
        using var box = new Sandbox();
        Directory.CreateDirectory(box.Package("jq"));
        File.Copy(Path.Combine(Sandbox.RepoRoot, "examples", "jq", "btm.json"), Path.Combine(box.Package("jq"), "btm.json"));
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=linux-x64,linux-x64-musl,linux-arm64,win32-x64", "--mode=prod");
        if (test.Output.Contains("could not get") && test.Output.Contains("apt-get"))
            Assert.Ignore($"Debian's archive is not reachable from here: {test.Output.Split('\n').First(l => l.Contains("could not get"))}");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        // Debian's series applied, less the patch that would link the system's oniguruma; jq's own tests ran where jq runs natively.
        Assert.That(test.Output, Does.Contain("applied Debian's 9 patch(es) from jq_1.6-2.1.debian.tar.xz, skipped 0008-Do-not-use-venderized-oniguruma.patch"));
        AssertMakeCheckRanNatively(box);
        var package = box.Run("--target=Package", "--platform=linux-x64,linux-x64-musl,linux-arm64,win32-x64", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("jq --version via @btm/jq: jq-1.6"));
        Assert.That(verify.Output, Does.Contain("jq --version on linux-arm64 (under qemu-aarch64): jq-1.6"));
        Assert.That(verify.Output, Does.Contain("jq --version on win32-x64 (under wine): jq-1.6"));
        // The bundled oniguruma is in every binary: a regex runs on each target, and its licence ships beside jq's.
        var final = (string platform, string file) => Path.Combine(box.Package("jq"), "build", "prod", platform, "out", "Final", file);
        var wine = Path.Combine(box.Root, ".btm", "toolchains", "wine", "wine");
        foreach (var run in new[] { new[] { final("linux-x64", "jq") }, [final("linux-x64-musl", "jq")],
                     ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", final("linux-arm64", "jq")], [wine, final("win32-x64", "jq.exe")] })
        {
            var ran = ProcessResult.Run(run[0], [.. run[1..], "-c", "[test(\"b+\"), length]"], box.Root, stdin: "\"abc\"");
            Assert.That(ran.Stdout.Trim(), Is.EqualTo("[true,3]"), string.Join(' ', run) + ran.Output);
        }
        var tarball = Path.Combine(box.ReleaseDir, "npm", "btm-jq-linux-x64-1.6.0.tgz");
        Assert.That(TarEntries(tarball), Does.Contain("package/COPYING").And.Contain("package/licenses/oniguruma/COPYING"));
        Assert.That(TarEntryText(tarball, "package/package.json"), Does.Contain("\"license\": \"MIT AND BSD-2-Clause\""));
    }
}

using System.Security.Cryptography;
using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>
/// examples/hello-go and examples/hello-bun released for all seven targets from one sandbox:
/// published to a real registry, installed by npm for each target (--os --cpu --libc) into a fresh
/// project, and run where this machine can (natively, under qemu, under wine); darwin checked
/// structurally.
/// </summary>
[NonParallelizable]
public class GoBunReleaseTests
{
    private static readonly string[] Seven = ["linux-x64", "linux-x64-musl", "linux-arm64", "linux-arm64-musl", "win32-x64", "darwin-x64", "darwin-arm64"];
    private Sandbox? _box;
    private VerdaccioServer? _registry;
    private ProcessResult? _package;
    private ProcessResult? _verify;
    private IReadOnlyList<StageResult> _tested = [];

    [OneTimeSetUp]
    public void Release()
    {
        Sandbox.RequireTools("go", "npm", "node", "qemu-aarch64");
        if (!File.Exists("/usr/lib/wine/wine64"))
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the seven targets are cross-built from linux-x64");
        _box = new Sandbox { CompleteReleases = true };
        foreach (var example in new[] { "hello-go", "hello-bun" })
            Sandbox.CopyTree(Path.Combine(Sandbox.RepoRoot, "examples", example), _box.Package(example));
        _box.AddReleaseTooling();
        _box.CommitAll();
        var test = _box.Run("--target=Test", "--platform=all", "--mode=prod");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        _tested = _box.LastSummary();
        _package = _box.Run("--target=Package", "--platform=all");
        Assert.That(_package.ExitCode, Is.Zero, _package.Output);
        _verify = _box.Run("--target=Verify");
        _registry = new VerdaccioServer(_box.Root);
        var publish = _box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = _registry.Token },
            "--target=Publish", $"--registry={_registry.Url}", "--allow-unsigned");
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _registry?.Dispose();
        _box?.Dispose();
    }

    [Test]
    public void Tests_ran_on_every_target_this_machine_runs_and_say_why_not_elsewhere()
    {
        var tests = _tested.Where(s => s.Stage == "test").ToDictionary(s => (s.Package, s.Platform), s => s.Detail);
        Assert.That(tests[("hello-go", "linux-x64")], Is.EqualTo("go test passed (1 package(s))"));
        Assert.That(tests[("hello-go", "linux-arm64")], Is.EqualTo("go test passed (1 package(s) under qemu-aarch64)"));
        Assert.That(tests[("hello-go", "win32-x64")], Is.EqualTo("go test passed (1 package(s) under wine)"));
        Assert.That(tests[("hello-bun", "linux-x64")], Is.EqualTo("the app ran and printed its version"));
        Assert.That(tests[("hello-bun", "linux-arm64")], Is.EqualTo("the app ran under qemu-aarch64 and printed its version"));
        Assert.That(tests[("hello-bun", "win32-x64")], Is.EqualTo("the app ran under wine and printed its version"));
        Assert.That(tests[("hello-bun", "linux-x64-musl")], Does.StartWith("not run: it loads libstdc++.so.6 from the musl system").And.Contain("apk add libstdc++"));
    }

    [Test]
    public void Verify_runs_each_tarball_where_it_can_and_checks_darwin_structurally()
    {
        Assert.That(_verify!.ExitCode, Is.Zero, _verify.Output);
        foreach (var (name, platform, how) in new[]
        {
            ("hello-go", "linux-x64-musl", ""), ("hello-go", "linux-arm64", " (under qemu-aarch64)"),
            ("hello-go", "linux-arm64-musl", " (under qemu-aarch64)"), ("hello-go", "win32-x64", " (under wine)"),
            ("hello-bun", "linux-arm64", " (under qemu-aarch64)"), ("hello-bun", "win32-x64", " (under wine)"),
        })
            Assert.That(_verify.Output, Does.Contain($"{name} --version on {platform}{how}: 0.1.0"));
        foreach (var name in new[] { "hello-go", "hello-bun" })
        {
            Assert.That(_verify.Output, Does.Contain($"{name} --version via @btm/{name}: 0.1.0"), "this host's package, through the npm wrapper");
            Assert.That(_verify.Output, Does.Contain($"{name} for darwin-x64: Mach-O executable, x64"));
            Assert.That(_verify.Output, Does.Contain($"{name} for darwin-arm64: Mach-O executable, arm64"));
        }
    }

    [TestCase("linux", "x64", "glibc", "linux-x64")]
    [TestCase("linux", "x64", "musl", "linux-x64-musl")]
    [TestCase("linux", "arm64", "glibc", "linux-arm64")]
    [TestCase("linux", "arm64", "musl", "linux-arm64-musl")]
    [TestCase("win32", "x64", null, "win32-x64")]
    [TestCase("darwin", "x64", null, "darwin-x64")]
    [TestCase("darwin", "arm64", null, "darwin-arm64")]
    public void Npm_installs_each_target_and_the_binary_runs_where_this_machine_can(string os, string cpu, string? libc, string platform)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"btm-gobun-{platform}-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "package.json"), "{\"name\": \"consumer\", \"version\": \"1.0.0\", \"private\": true}\n");
            string[] args = ["install", "@btm/hello-go@0.1.0", "@btm/hello-bun@0.1.0", "--registry", _registry!.Url, "--no-audit", "--no-fund", $"--os={os}", $"--cpu={cpu}"];
            if (libc is not null)
                args = [.. args, $"--libc={libc}"];
            var install = ProcessResult.Run("npm", args, dir, new Dictionary<string, string?> { ["npm_config_cache"] = Path.Combine(dir, ".npm-cache") });
            Assert.That(install.ExitCode, Is.Zero, install.Output);
            foreach (var name in new[] { "hello-go", "hello-bun" })
            {
                var packageDir = Path.Combine(dir, "node_modules", "@btm", $"{name}-{platform}");
                Assert.That(Directory.Exists(packageDir), Is.True, $"npm installed @btm/{name}-{platform}");
                Assert.That(Directory.GetDirectories(Path.Combine(dir, "node_modules", "@btm")).Select(Path.GetFileName).Where(d => d!.StartsWith(name + "-", StringComparison.Ordinal)),
                    Is.EqualTo(new[] { $"{name}-{platform}" }), "only the requested platform's package");
                var binary = Path.Combine(packageDir, "bin", name + (os == "win32" ? ".exe" : ""));
                // win32 runs under the release's own wine wrapper: its prefix has what Bun's Windows runtime imports.
                string[]? run = platform switch
                {
                    "linux-x64" => [binary],
                    "linux-x64-musl" when name == "hello-go" => [binary],
                    "linux-arm64" => ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", binary],
                    "linux-arm64-musl" when name == "hello-go" => ["qemu-aarch64", binary],
                    "win32-x64" => [Path.Combine(_box!.Root, ".btm", "toolchains", "wine", "wine"), binary],
                    _ => null,
                };
                if (run is null)
                {
                    var header = File.ReadAllBytes(binary)[..4];
                    if (os == "darwin")
                        Assert.That(BitConverter.ToUInt32(header), Is.EqualTo(0xfeedfacfu), $"{name} {platform}: a 64-bit Mach-O");
                    else
                        Assert.That(header, Is.EqualTo(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }), $"{name} {platform}: an ELF file (Bun's musl runtime needs Alpine's libstdc++ to run)");
                    continue;
                }
                var ran = ProcessResult.Run(run[0], [.. run[1..], "Ada"], dir);
                Assert.That(ran.ExitCode, Is.Zero, ran.Output);
                var expectedOs = name == "hello-go" ? (os == "win32" ? "windows" : os) : os;
                var expectedCpu = name == "hello-go" ? (cpu == "x64" ? "amd64" : cpu) : cpu;
                Assert.That(ran.Stdout.Trim(), Is.EqualTo($"Hello, Ada! ({expectedOs}/{expectedCpu})"), $"{name} {platform}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The go and bun builders' promises beyond one release: reproducible bytes, no network, clear failures.</summary>
public class GoBunBuilderTests
{
    private static Sandbox With(string example)
    {
        var box = new Sandbox();
        Sandbox.CopyTree(Path.Combine(Sandbox.RepoRoot, "examples", example), box.Package(example));
        box.CommitAll();
        return box;
    }

    private static string Sha(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    [Test]
    public void Two_clones_at_different_paths_pack_byte_identical_go_tarballs()
    {
        Sandbox.RequireTools("go", "npm");
        using var first = With("hello-go");
        using var second = With("hello-go");
        var tarballs = new List<Dictionary<string, string>>();
        foreach (var box in new[] { first, second })
        {
            var package = box.Run("--target=Package", "--package=hello-go", "--platform=linux-x64,linux-arm64,win32-x64,darwin-arm64");
            Assert.That(package.ExitCode, Is.Zero, package.Output);
            tarballs.Add(Directory.GetFiles(Path.Combine(box.ReleaseDir, "npm"), "btm-hello-go-*.tgz").ToDictionary(f => Path.GetFileName(f), Sha));
        }
        Assert.That(tarballs[0].Keys.Order(), Is.EqualTo(new[] { "btm-hello-go-0.1.0.tgz", "btm-hello-go-darwin-arm64-0.1.0.tgz", "btm-hello-go-linux-arm64-0.1.0.tgz", "btm-hello-go-linux-x64-0.1.0.tgz", "btm-hello-go-win32-x64-0.1.0.tgz" }));
        foreach (var (name, sha) in tarballs[0].Where(t => t.Key != "btm-hello-go-0.1.0.tgz"))
            Assert.That(tarballs[1][name], Is.EqualTo(sha), $"{name} from {first.Root} and {second.Root}");
    }

    [Test]
    public void Bun_builds_from_the_download_cache_alone_and_two_clones_compile_the_same_bytes()
    {
        Sandbox.RequireTools("node");
        using var first = With("hello-bun");
        using var second = With("hello-bun");
        var warm = first.Run("--target=Build", "--package=hello-bun", "--platform=linux-arm64,win32-x64");
        Assert.That(warm.ExitCode, Is.Zero, warm.Output);
        // Another clone, offline, with a HOME of its own and every proxy dead: only the download cache serves it, and bun fetches nothing.
        var home = Path.Combine(second.Root, "home");
        Directory.CreateDirectory(home);
        var cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "btm", "downloads");
        var offline = second.RunWith(new Dictionary<string, string?>
        {
            ["HOME"] = home, ["BTM_DOWNLOAD_DIR"] = Environment.GetEnvironmentVariable("BTM_DOWNLOAD_DIR") ?? cache,
            ["HTTPS_PROXY"] = "http://127.0.0.1:9", ["HTTP_PROXY"] = "http://127.0.0.1:9", ["https_proxy"] = "http://127.0.0.1:9", ["http_proxy"] = "http://127.0.0.1:9",
            ["BUN_INSTALL_CACHE_DIR"] = null, ["DOTNET_CLI_HOME"] = Path.Combine(home, ".dotnet"),
        }, "--target=Build", "--package=hello-bun", "--platform=linux-arm64,win32-x64", "--offline");
        Assert.That(offline.ExitCode, Is.Zero, offline.Output);
        Assert.That(Directory.Exists(Path.Combine(home, ".bun")), Is.False, "bun kept nothing under HOME: it downloaded nothing");
        // Bun's output is deterministic for the same inputs: the only path it embeds is the output's name (/$bunfs/root/<name>).
        foreach (var file in new[] { "linux-arm64/out/Final/hello-bun", "win32-x64/out/Final/hello-bun.exe" })
            Assert.That(Sha(Path.Combine(second.Package("hello-bun"), "build", "dev", file)), Is.EqualTo(Sha(Path.Combine(first.Package("hello-bun"), "build", "dev", file))), file);
    }

    [Test]
    public void A_dependency_neither_vendored_nor_cached_fails_naming_the_fix()
    {
        Sandbox.RequireTools("go");
        using var box = With("hello-go");
        Directory.Delete(Path.Combine(box.Package("hello-go"), "vendor"), recursive: true);
        var gomodcache = Path.Combine(box.Root, "empty-modcache");
        var build = box.RunWith(new Dictionary<string, string?> { ["GOMODCACHE"] = gomodcache, ["GOPROXY"] = "off", ["GOFLAGS"] = null },
            "--target=Build", "--package=hello-go");
        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("btm.dev/examples/greet").And.Contain("a module could not be fetched").And.Contain("go mod vendor"));
    }

    [Test]
    public void Go_and_bun_sections_are_checked_naming_file_field_and_fix()
    {
        Sandbox.RequireTools("go", "node");
        using var box = With("hello-go");
        Sandbox.CopyTree(Path.Combine(Sandbox.RepoRoot, "examples", "hello-bun"), box.Package("hello-bun"));
        var go = Path.Combine(box.Package("hello-go"), "btm.json");
        var goText = File.ReadAllText(go);
        File.WriteAllText(go, goText.Replace("\"versionVariable\": \"main.version\"", "\"packages\": { \"hello-go\": \"../../etc\" }"));
        var outside = box.Run("--target=Build", "--package=hello-go");
        Assert.That(outside.ExitCode, Is.EqualTo(2), outside.Output);
        Assert.That(outside.Output, Does.Contain("go.packages.hello-go").And.Contain("btm.json"));
        File.WriteAllText(go, goText.Replace("\"versionVariable\": \"main.version\"", "\"ldflags\": [\"-linkmode=external\"]"));
        var external = box.Run("--target=Build", "--package=hello-go");
        Assert.That(external.ExitCode, Is.EqualTo(2), external.Output);
        Assert.That(external.Output, Does.Contain("go.ldflags").And.Contain("without cgo"));

        File.WriteAllText(go, goText);
        var bun = Path.Combine(box.Package("hello-bun"), "btm.json");
        var bunText = File.ReadAllText(bun);
        File.WriteAllText(bun, bunText.Replace("\"win32-x64\": \"2fa598bc6c8d20440929f9c18b6363c15323274dc0fc5031e33ea209e687121c\"", "\"win32-x64\": \"nope\""));
        var badSha = box.Run("--target=Build", "--package=hello-bun");
        Assert.That(badSha.ExitCode, Is.EqualTo(2), badSha.Output);
        Assert.That(badSha.Output, Does.Contain("bun.runtimes.win32-x64").And.Contain("npm tarball @oven/bun-windows-x64@1.4.4"));
        File.WriteAllText(bun, bunText.Replace("\"version\": \"1.4.4\"", "\"version\": \"1.3.0\""));
        var mismatch = box.Run("--target=Build", "--package=hello-bun", "--platform=linux-x64");
        Assert.That(mismatch.ExitCode, Is.EqualTo(2), mismatch.Output);
        Assert.That(mismatch.Output, Does.Contain("bun.version").And.Contain("is 1.3.0, and the bun that bundles").And.Contain("package-lock.json"));
    }
}

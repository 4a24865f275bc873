using System.Text.Json;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>Assemble: CI legs' Package folders merged into one release that Verify accepts and Publish ships.</summary>
public class AssembleTests
{
    private static Sandbox TwoPlatformRepo()
    {
        var box = new Sandbox();
        box.AddReleaseTooling();
        box.AddEchoer("tool", "\"targets\": [\"linux-x64\", \"linux-x64-musl\"],\n  \"installers\": { \"maintainer\": \"Tool Team <tool@example.org>\", " +
            "\"formats\": [\"deb\", \"tar.gz\", \"homebrew\"], \"downloadUrl\": \"https://example.org/tool/v{version}/{file}\" }");
        box.CommitAll();
        return box;
    }

    /// <summary>Runs one leg's Package and moves its folder to legs/&lt;name&gt;, as CI's upload and download would.</summary>
    private static string Leg(Sandbox box, string name, string platform)
    {
        var run = box.Run("--target=Package", $"--platform={platform}", "--mode=prod");
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        var dir = Path.Combine(box.Root, "legs", name);
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        Directory.Move(box.ReleaseDir, dir);
        return dir;
    }

    private static ReleaseManifest Manifest(string dir) =>
        ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(dir, ReleaseManifest.FileName)));

    [Test]
    public void Two_legs_assemble_into_the_release_one_Package_run_makes_which_Verify_accepts_and_Publish_ships()
    {
        Sandbox.RequireTools("make", "cc", "npm", "musl-gcc");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the legs here are linux-x64 and linux-x64-musl");
        using var box = TwoPlatformRepo();
        Leg(box, "gnu", "linux-x64");
        Leg(box, "musl", "linux-x64-musl");

        // The release job: the downloaded artifacts folder holds one folder per leg; the signing
        // key comes from the job's secrets.
        var keygen = box.Run("--target=KeyGen", "--signing-key=secrets/release.pem");
        Assert.That(keygen.ExitCode, Is.Zero, keygen.Output);
        var assemble = box.Run("--target=Assemble", "--legs=legs", "--signing-key=secrets/release.pem");
        Assert.That(assemble.ExitCode, Is.Zero, assemble.Output);
        Assert.That(assemble.Output, Does.Contain("2 platform package(s) from 2 leg(s) (legs/gnu, legs/musl), 1 wrapper(s)"));
        var merged = Manifest(box.ReleaseDir);
        Assert.That(merged.Packages.Select(p => (p.Name, p.Kind)), Is.EquivalentTo(new[]
        {
            ("@btm/tool-linux-x64", "platform"), ("@btm/tool-linux-x64-musl", "platform"), ("@btm/tool", "wrapper"),
        }));
        Assert.That(merged.Signed, Is.True);
        Assert.That(Manifest(Path.Combine(box.Root, "legs", "gnu")).Signed, Is.False, "legs hold no secrets");
        Assert.That(merged.Toolchains.Select(t => t.Platform), Is.EqualTo(new[] { "linux-x64", "linux-x64-musl" }));

        // The platform tarballs are the legs' bytes; the wrapper is the one a single Package of
        // both platforms makes, byte for byte (npm pack is reproducible).
        foreach (var (leg, platform) in new[] { ("gnu", "linux-x64"), ("musl", "linux-x64-musl") })
        {
            var fromLeg = Manifest(Path.Combine(box.Root, "legs", leg)).Packages.Single(p => p.Platform == platform);
            Assert.That(merged.Packages.Single(p => p.Platform == platform).Sha256, Is.EqualTo(fromLeg.Sha256), platform);
        }
        var wrapper = merged.Packages.Single(p => p.Kind == "wrapper");
        var legWrapper = Manifest(Path.Combine(box.Root, "legs", "gnu")).Packages.Single(p => p.Kind == "wrapper");
        Assert.That(legWrapper.Sha256, Is.Not.EqualTo(wrapper.Sha256), "a leg's wrapper names only its own platforms");
        // Each leg's installers as it made them; the formula made again for both legs' archives.
        var legInstallers = new[] { "gnu", "musl" }.SelectMany(l => Manifest(Path.Combine(box.Root, "legs", l)).Installers.Where(i => i.Platform is not null));
        Assert.That(merged.Installers.Where(i => i.Platform is not null), Is.EquivalentTo(legInstallers));
        Assert.That(merged.Installers.Select(i => i.File), Is.EquivalentTo(new[]
        {
            "installers/tool_0.1.0_amd64.deb", "installers/tool-0.1.0-linux-x64.tar.gz", "installers/tool-0.1.0-linux-x64-musl.tar.gz", "installers/tool.rb",
        }));
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("tool --version on linux-x64-musl: tool 0.1.0").And.Contain("installers: 4 file(s)"));

        var assembled = Path.Combine(box.Root, "assembled");
        Directory.Move(box.ReleaseDir, assembled);
        Assert.That(box.Run("--target=Package", "--platform=all", "--mode=prod").ExitCode, Is.Zero);
        Assert.That(Manifest(box.ReleaseDir).Packages.Single(p => p.Kind == "wrapper").Sha256, Is.EqualTo(wrapper.Sha256));
        Assert.That(Manifest(box.ReleaseDir).Installers, Is.EquivalentTo(merged.Installers), "the same installers, formula included, as one Package of both");
        Directory.Delete(box.ReleaseDir, recursive: true);
        Directory.Move(assembled, box.ReleaseDir);

        var publish = box.Run("--target=Publish");
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
        var onRegistry = box.Run("--target=Verify", "--registry=local");
        Assert.That(onRegistry.ExitCode, Is.Zero, onRegistry.Output);
        Assert.That(onRegistry.Output, Does.Contain("3 package(s)"));
    }

    [Test]
    public void Assemble_refuses_mixed_commits_a_platform_twice_and_a_tampered_leg_naming_the_leg_and_writes_nothing()
    {
        Sandbox.RequireTools("make", "cc", "npm", "musl-gcc");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the legs here are linux-x64 and linux-x64-musl");
        using var box = TwoPlatformRepo();
        var gnu = Leg(box, "gnu", "linux-x64");
        var musl = Leg(box, "musl", "linux-x64-musl");

        ProcessResult Assemble(params string[] legs) => box.Run("--target=Assemble", "--legs=" + string.Join(",", legs));

        // One leg alone is a valid release (of its platforms).
        var single = Assemble("legs/gnu");
        Assert.That(single.ExitCode, Is.Zero, single.Output);
        Assert.That(Manifest(box.ReleaseDir).Packages, Has.Count.EqualTo(2));
        Directory.Delete(box.ReleaseDir, recursive: true);

        // A platform in two legs.
        var copy = Path.Combine(box.Root, "legs-twice", "gnu-again");
        CopyDir(gnu, copy);
        var twice = Assemble("legs/gnu", "legs/musl", "legs-twice/gnu-again");
        Assert.That(twice.ExitCode, Is.EqualTo(1));
        Assert.That(twice.Output, Does.Contain("@btm/tool-linux-x64 (linux-x64) is in leg legs/gnu and in leg legs-twice/gnu-again"));

        // A tarball that does not match its leg's manifest.
        var tampered = Path.Combine(box.Root, "legs-bad", "musl");
        CopyDir(musl, tampered);
        var tarball = Directory.GetFiles(Path.Combine(tampered, "npm"), "*musl*.tgz").Single();
        var bytes = File.ReadAllBytes(tarball);
        bytes[^10] ^= 1;
        File.WriteAllBytes(tarball, bytes);
        var bad = Assemble("legs/gnu", "legs-bad/musl");
        Assert.That(bad.ExitCode, Is.EqualTo(1));
        Assert.That(bad.Output, Does.Contain("leg legs-bad/musl: npm/" + Path.GetFileName(tarball)));

        // A leg from another commit.
        box.Write("packages/tool/README.md", "changed after the gnu leg\n");
        ProcessResult.Run("git", ["add", "-A"], box.Root);
        ProcessResult.Run("git", ["commit", "-q", "-m", "later"], box.Root);
        Leg(box, "musl-later", "linux-x64-musl");
        var mixed = Assemble("legs/gnu", "legs/musl-later");
        Assert.That(mixed.ExitCode, Is.EqualTo(1));
        Assert.That(mixed.Output, Does.Match("leg legs/musl-later has commit [0-9a-f]{40}, leg legs/gnu has [0-9a-f]{40}"));

        // Legs of an older commit in a newer checkout: the wrappers would come from other btm.json files.
        var stale = Assemble("legs/gnu", "legs/musl");
        Assert.That(stale.ExitCode, Is.EqualTo(1));
        Assert.That(stale.Output, Does.Contain("check out the legs' commit first"));

        Assert.That(Directory.Exists(box.ReleaseDir), Is.False, "no refused run leaves a release folder");
        Assert.That(Directory.GetDirectories(Path.Combine(box.Root, "artifacts")).Where(d => d.Contains(".tmp-")), Is.Empty);
        var none = box.Run("--target=Assemble");
        Assert.That((none.ExitCode, none.Output.Contains("--legs=<dir>")), Is.EqualTo((2, true)), none.Output);
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

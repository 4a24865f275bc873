using System.Diagnostics;
using Btm.Core.Release;

namespace Btm.Core.Tests.Release;

public class ReleaseVerifierTests
{
    private static VerifyReport Verify(ReleaseFixture f, bool requireSignature = true) =>
        ReleaseVerifier.Verify(f.Root, [f.Key.PublicKey], requireSignature);

    [Test]
    public void A_clean_signed_release_verifies()
    {
        using var f = new ReleaseFixture();
        var report = Verify(f);
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.Manifest!.Packages, Has.Count.EqualTo(2));
    }

    [Test]
    public void Every_single_byte_flip_of_the_manifest_is_caught()
    {
        using var f = new ReleaseFixture();
        var path = f.PathOf(ReleaseManifest.FileName);
        var original = File.ReadAllBytes(path);
        var missed = new List<int>();
        for (var i = 0; i < original.Length; i++)
        {
            var copy = (byte[])original.Clone();
            copy[i] ^= 0x01;
            File.WriteAllBytes(path, copy);
            if (Verify(f).Ok)
                missed.Add(i);
        }
        File.WriteAllBytes(path, original);
        Assert.That(missed, Is.Empty, $"flips not caught at offsets {string.Join(", ", missed.Take(10))}");
        Assert.That(Verify(f).Ok, Is.True);
    }

    [Test]
    public void Every_single_byte_flip_of_the_signature_is_caught()
    {
        using var f = new ReleaseFixture();
        var path = f.PathOf(ReleaseManifest.SignatureFileName);
        var original = File.ReadAllBytes(path);
        for (var i = 0; i < original.Length; i++)
        {
            foreach (var bit in new byte[] { 0x01, 0x80 })
            {
                var copy = (byte[])original.Clone();
                copy[i] ^= bit;
                File.WriteAllBytes(path, copy);
                var report = Verify(f);
                Assert.That(report.Problems, Has.Some.StartsWith(ReleaseManifest.SignatureFileName), $"offset {i} bit {bit:x2}");
            }
        }
    }

    [TestCase("npm/acme-tool-linux-x64-1.0.0.tgz")]
    [TestCase("npm/acme-tool-1.0.0.tgz")]
    public void Every_single_byte_flip_of_a_tarball_is_caught_and_names_it(string tarball)
    {
        using var f = new ReleaseFixture();
        var path = f.PathOf(tarball);
        var original = File.ReadAllBytes(path);
        for (var i = 0; i < original.Length; i++)
        {
            var copy = (byte[])original.Clone();
            copy[i] ^= 0x01;
            File.WriteAllBytes(path, copy);
            var report = Verify(f);
            Assert.That(report.Problems, Has.Some.StartsWith(tarball), $"offset {i}");
            Assert.That(report.Problems, Has.Some.Contains("manifest says"), $"offset {i}: both values are named");
        }
    }

    [Test]
    public void A_mismatch_names_the_file_and_both_values()
    {
        using var f = new ReleaseFixture();
        var tarball = "npm/acme-tool-linux-x64-1.0.0.tgz";
        File.AppendAllText(f.PathOf(tarball), "x");
        var expected = f.Manifest.Packages.Single(p => p.Tarball == tarball);
        var problems = Verify(f).Problems;
        Assert.That(problems, Has.Some.EqualTo($"{tarball}: size {expected.Size + 1}, manifest says {expected.Size}"));
        Assert.That(problems, Has.Some.Matches($"^{tarball}: sha256 [0-9a-f]{{64}}, manifest says {expected.Sha256}$"));
    }

    [Test]
    public void A_changed_missing_or_unlisted_nupkg_is_caught_and_named()
    {
        using var f = new ReleaseFixture();
        var nupkg = f.PathOf("Acme.Tool.1.0.0.nupkg");
        var bytes = File.ReadAllBytes(nupkg);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(nupkg, bytes);
        File.WriteAllText(f.PathOf("Stray.1.0.0.nupkg"), "");
        var problems = Verify(f).Problems;
        Assert.That(problems, Has.Some.Matches("^Acme.Tool.1.0.0.nupkg: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$"));
        Assert.That(problems, Has.Some.Contains("SHA256SUMS: Acme.Tool.1.0.0.nupkg sha256"));
        Assert.That(problems, Has.Some.StartsWith("Stray.1.0.0.nupkg: not in the manifest"));
        File.Delete(nupkg);
        Assert.That(Verify(f).Problems, Has.Some.EqualTo("Acme.Tool.1.0.0.nupkg: missing (the manifest lists Acme.Tool 1.0.0)"));
    }

    [Test]
    public void Sums_file_tampering_and_stray_tarballs_are_caught()
    {
        using var f = new ReleaseFixture();
        var sums = f.PathOf(ReleaseManifest.SumsFileName);
        File.WriteAllText(sums, File.ReadAllText(sums).Replace("npm/acme-tool-1.0.0.tgz", "npm/other.tgz"));
        File.WriteAllText(f.PathOf("npm/stray.tgz"), "");
        var problems = Verify(f).Problems;
        Assert.That(problems, Has.Some.Contains("lists npm/other.tgz"));
        Assert.That(problems, Has.Some.Contains("does not list npm/acme-tool-1.0.0.tgz"));
        Assert.That(problems, Has.Some.StartsWith("npm/stray.tgz: not in the manifest"));
    }

    [Test]
    public void Unsigned_is_refused_when_signatures_are_required_and_noted_otherwise()
    {
        using var f = new ReleaseFixture(sign: false);
        Assert.That(Verify(f, requireSignature: true).Problems, Has.Some.Contains("unsigned"));
        var relaxed = Verify(f, requireSignature: false);
        Assert.That(relaxed.Ok, Is.True);
        Assert.That(relaxed.Notes, Has.Some.Contains("unsigned"));
    }

    [Test]
    public void A_signature_by_an_untrusted_key_is_refused()
    {
        using var f = new ReleaseFixture();
        var stranger = Ed25519Keys.Generate();
        var report = ReleaseVerifier.Verify(f.Root, [stranger.PublicKey], requireSignature: true);
        Assert.That(report.Problems, Has.Some.Contains("does not verify with any trusted key").And.Contains(stranger.PublicKeyHex));
        var noTrust = ReleaseVerifier.Verify(f.Root, [], requireSignature: false);
        Assert.That(noTrust.Ok, Is.True);
        Assert.That(noTrust.Notes, Has.Some.Contains("integrity, not origin"));
    }

    [Test]
    public void Sha256sum_accepts_our_sums_file()
    {
        var sha256sum = new[] { "/usr/bin/sha256sum", "/bin/sha256sum" }.FirstOrDefault(File.Exists);
        if (sha256sum is null)
            Assert.Ignore("sha256sum (coreutils) is not installed");
        using var f = new ReleaseFixture();
        var start = new ProcessStartInfo(sha256sum!, ["-c", ReleaseManifest.SumsFileName]) { WorkingDirectory = f.Root, RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("manifest.json: OK").And.Contain("npm/acme-tool-1.0.0.tgz: OK"));
    }
}

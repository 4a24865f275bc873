using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>Each tarball's license field covers what it ships, and carries every text it names.</summary>
public class LicenceTests
{
    private static string Unpack(Sandbox box, string tarball)
    {
        var dir = Path.Combine(box.Root, "unpacked-" + Path.GetFileNameWithoutExtension(tarball));
        Btm.Core.IO.SafeArchive.Extract(Path.Combine(box.ReleaseDir, "npm", tarball), tarball, dir, 1);
        return dir;
    }

    [Test]
    public void Binflate_ships_MIT_and_zstd_with_both_texts_notices_and_a_conjunctive_license_field()
    {
        Sandbox.RequireTools("cmake", "npm", "xz");
        using var box = new Sandbox("bin-stub", "binflate");
        box.CommitAll();
        var r = box.Run("--target=Package", "--package=binflate", $"--platform={Sandbox.Host}");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        var dir = Unpack(box, $"btm-binflate-{Sandbox.Host}-0.1.0.tgz");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json"))).RootElement;
        Assert.That(json.GetProperty("license").GetString(), Is.EqualTo("MIT AND (BSD-3-Clause OR GPL-2.0-only)"));
        // BTM's own text at the root, zstd's under licenses/, each named in the notices.
        Assert.That(File.ReadAllText(Path.Combine(dir, "LICENSE")), Does.StartWith("MIT License"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "licenses", "zstd", "LICENSE")), Does.Contain("BSD License"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "licenses", "zstd", "COPYING")), Does.Contain("GNU GENERAL PUBLIC LICENSE").And.Contain("Version 2"));
        var notices = File.ReadAllText(Path.Combine(dir, "THIRD-PARTY-NOTICES.md"));
        Assert.That(notices, Does.Contain("| zstd | 1.5.4 | BSD-3-Clause OR GPL-2.0-only | Debian source package libzstd (libzstd_1.5.4+dfsg2.orig.tar.xz), sha256 8cf4bbb6"));
        Assert.That(notices, Does.Contain("licenses/zstd/COPYING, licenses/zstd/LICENSE").Or.Contain("licenses/zstd/LICENSE, licenses/zstd/COPYING"));
        // The manifest lists them as shipped files, so the signature covers them.
        var manifest = File.ReadAllText(Path.Combine(box.ReleaseDir, "manifest.json"));
        Assert.That(manifest, Does.Contain("\"path\": \"package/licenses/zstd/COPYING\"").And.Contain("\"path\": \"package/THIRD-PARTY-NOTICES.md\""));
    }

    [Test]
    public void A_source_without_a_licence_stops_the_build_naming_the_field_and_a_missing_text_too()
    {
        Sandbox.RequireTools("cmake", "npm", "xz");
        using var box = new Sandbox("bin-stub");
        var json = Path.Combine(box.Package("bin-stub"), "btm.json");
        var original = File.ReadAllText(json);
        File.WriteAllText(json, original.Replace(",\n      \"license\": \"BSD-3-Clause OR GPL-2.0-only\"", ""));
        box.CommitAll();
        var r = box.Run("--target=Build", "--package=bin-stub");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
        Assert.That(r.Output, Does.Contain("packages/bin-stub/btm.json").And.Contain("sources[0].license")
            .And.Contain("zstd ships inside bin-stub but declares no licence"));

        File.WriteAllText(json, original.Replace("\"license\": \"BSD-3-Clause OR GPL-2.0-only\"",
            "\"license\": \"BSD-3-Clause OR GPL-2.0-only\", \"licenseFiles\": [\"NO-SUCH-FILE\"]"));
        var texts = box.Run("--target=Build", "--package=bin-stub");
        Assert.That(texts.ExitCode, Is.EqualTo(2), texts.Output);
        Assert.That(texts.Output, Does.Contain("sources[0].licenseFiles").And.Contain("'NO-SUCH-FILE' is not in zstd"));
    }

    [Test]
    public void A_package_whose_licence_has_no_text_is_refused()
    {
        Sandbox.RequireTools("make", "npm");
        using var box = new Sandbox();
        File.Delete(Path.Combine(box.Root, "LICENSE"));
        box.AddMakePackage("bare");
        box.CommitAll();
        var r = box.Run("--target=Build", "--package=bare");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
        Assert.That(r.Output, Does.Contain("packages/bare/btm.json").And.Contain("no licence text for bare's own licence (MIT) would ship")
            .And.Contain("add a LICENSE file to the package folder, or the repo's LICENSE beside cake.config"));
    }
}

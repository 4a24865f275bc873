using System.IO.Compression;
using System.Text.Json;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>
/// Installers and Authenticode through the host: one release of a C tool for linux-x64, linux-arm64,
/// win32-x64 and darwin-arm64, signed with a throwaway CA made by openssl, its .deb installed with
/// dpkg into a scratch root, its .rpm with rpm, its Windows installer run under wine (install,
/// upgrade, uninstall), its formula checked by ruby, its Scoop manifest read back.
/// </summary>
[NonParallelizable]
public class InstallerTests
{
    private const string Targets = "linux-x64,linux-arm64,win32-x64,darwin-arm64";
    private Sandbox box = null!;
    private string ca = null!;
    private Dictionary<string, string?> signing = null!;
    private ReleaseManifest manifest = null!;

    private string Installer(string format, string? platform = null) =>
        Path.Combine(box.ReleaseDir, manifest.Installers.Single(i => i.Format == format && (platform is null || i.Platform == platform)).File);

    [OneTimeSetUp]
    public void Release()
    {
        Sandbox.RequireTools("node", "npm", "openssl", "osslsigncode", "dpkg-deb", "rpmbuild", "makensis", "x86_64-w64-mingw32-gcc", "aarch64-linux-gnu-gcc");
        box = new Sandbox();
        box.Write("packages/echoer/btm.json", """
            {
              "name": "echoer",
              "description": "Prints its version: a C tool shipped as npm packages, Debian and rpm packages, a Windows installer and archives",
              "builder": "make",
              "binaries": ["echoer"],
              "inputs": ["Makefile", "src/**", "echoer.1"],
              "files": [{ "from": "echoer.1", "to": "man/" }],
              "installers": {
                "maintainer": "Echo Team <echo@example.org>",
                "homepage": "https://example.org/echoer",
                "downloadUrl": "https://example.org/echoer/releases/v{version}/{file}"
              }
            }
            """);
        box.Write("packages/echoer/Makefile",
            "all:\n\t$(CC) -DVERSION=\\\"$(BTM_VERSION)\\\" -o $(BTM_OUT_DIR)/echoer$(BTM_EXE_SUFFIX) src/main.c\n");
        box.Write("packages/echoer/src/main.c", "#include <stdio.h>\nint main(void) { printf(\"echoer %s\\n\", VERSION); return 0; }\n");
        box.Write("packages/echoer/echoer.1", ".TH ECHOER 1\n.SH NAME\nechoer \\- prints its version\n.SH SYNOPSIS\n.B echoer\n");
        box.CommitAll();
        var keys = Path.Combine(box.Root, "throwaway-ca");
        Directory.CreateDirectory(keys);
        void Openssl(params string[] args)
        {
            var r = ProcessResult.Run("openssl", args, keys);
            Assert.That(r.ExitCode, Is.Zero, r.Output);
        }
        Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Throwaway Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "signer.key", "-out", "signer.csr", "-subj", "/CN=Echo Team Code Signing");
        File.WriteAllText(Path.Combine(keys, "ext.cnf"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n");
        Openssl("x509", "-req", "-in", "signer.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "signer.crt", "-days", "2", "-extfile", "ext.cnf");
        Openssl("pkcs12", "-export", "-inkey", "signer.key", "-in", "signer.crt", "-certfile", "ca.crt", "-out", "signer.p12", "-passout", "pass:throwaway");
        ca = Path.Combine(keys, "ca.crt");
        signing = new Dictionary<string, string?> { ["BTM_AUTHENTICODE_CERT"] = Path.Combine(keys, "signer.p12"), ["BTM_AUTHENTICODE_PASSWORD"] = "throwaway" };
        var r = box.RunWith(signing, "--target=Package", $"--platform={Targets}", "--mode=prod");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        manifest = ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(box.ReleaseDir, ReleaseManifest.FileName)));
    }

    [OneTimeTearDown]
    public void Dispose() => box?.Dispose();

    [Test]
    public void Each_target_gets_its_installers_listed_in_the_manifest_and_SHA256SUMS_and_Verify_checks_them()
    {
        var files = manifest.Installers.Select(i => Path.GetFileName(i.File)).Order(StringComparer.Ordinal);
        Assert.That(files, Is.EqualTo(new[]
        {
            "echoer-0.1.0-1.aarch64.rpm", "echoer-0.1.0-1.x86_64.rpm", "echoer-0.1.0-darwin-arm64.tar.gz", "echoer-0.1.0-linux-arm64.tar.gz",
            "echoer-0.1.0-linux-x64.tar.gz", "echoer-0.1.0-win32-x64-setup.exe", "echoer-0.1.0-win32-x64.zip", "echoer.json", "echoer.rb",
            "echoer_0.1.0_amd64.deb", "echoer_0.1.0_arm64.deb",
        }.Order(StringComparer.Ordinal)));
        var sums = File.ReadAllText(Path.Combine(box.ReleaseDir, ReleaseManifest.SumsFileName));
        foreach (var installer in manifest.Installers)
            Assert.That(sums, Does.Contain($"{installer.Sha256}  {installer.File}"));
        Assert.That(manifest.Authenticode!.Subject, Is.EqualTo("CN=Echo Team Code Signing"));
        var verify = box.RunWith(signing, "--target=Verify", $"--platform={Targets}", "--mode=prod");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("installers: 11 file(s) under installers/ match the manifest")
            .And.Contain("Authenticode: 3 win32 file(s) verify against CN=Echo Team Code Signing"));
    }

    [Test]
    public void The_deb_passes_lintian_installs_into_a_scratch_root_runs_and_leaves_nothing_when_removed()
    {
        Sandbox.RequireTools("lintian", "dpkg");
        var deb = Installer("deb", "linux-x64");
        var lintian = ProcessResult.Run("lintian", ["--tag-display-limit", "0", deb], box.Root);
        Assert.That(lintian.Stdout.Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal)), Is.Empty, lintian.Output);
        var info = ProcessResult.Run("dpkg-deb", ["--field", deb], box.Root).Stdout;
        Assert.That(info, Does.Contain("Package: echoer").And.Contain("Architecture: amd64").And.Contain("Maintainer: Echo Team <echo@example.org>")
            .And.Contain("Depends: libc6 (>= 2.17)").And.Contain("Homepage: https://example.org/echoer"));
        Assert.That(ProcessResult.Run("dpkg-deb", ["--field", Installer("deb", "linux-arm64"), "Architecture"], box.Root).Stdout.Trim(), Is.EqualTo("arm64"));
        Assert.That(ProcessResult.Run("dpkg-deb", ["-c", deb], box.Root).Stdout, Does.Contain("./usr/bin/echoer").And.Contain("./usr/share/doc/echoer/copyright")
            .And.Contain("./usr/share/man/man1/echoer.1.gz"));

        var root = Path.Combine(box.Root, "deb-root");
        foreach (var dir in new[] { "var/lib/dpkg/updates", "var/lib/dpkg/info" })
            Directory.CreateDirectory(Path.Combine(root, dir));
        File.WriteAllText(Path.Combine(root, "var/lib/dpkg/status"), "");
        var dpkg = new[] { $"--root={root}", "--force-not-root", "--force-script-chrootless", "--force-depends" };
        var install = ProcessResult.Run("dpkg", [.. dpkg, "-i", deb], box.Root);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        var run = ProcessResult.Run(Path.Combine(root, "usr/bin/echoer"), ["--version"], box.Root);
        Assert.That(run.Stdout.Trim(), Is.EqualTo("echoer 0.1.0"), run.Output);
        Assert.That(File.ReadAllText(Path.Combine(root, "usr/share/doc/echoer/copyright")), Does.StartWith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
            .And.Contain("License: MIT"));
        var remove = ProcessResult.Run("dpkg", [.. dpkg, "--purge", "echoer"], box.Root);
        Assert.That(remove.ExitCode, Is.Zero, remove.Output);
        Assert.That(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(Path.Combine(root, "var/lib/dpkg"), StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void The_rpm_installs_into_a_scratch_root_runs_needs_no_newer_glibc_than_the_floor_and_leaves_nothing_when_erased()
    {
        Sandbox.RequireTools("rpm");
        var rpm = Installer("rpm", "linux-x64");
        var info = ProcessResult.Run("rpm", ["-qp", "--qf", "%{NAME} %{VERSION} %{ARCH} %{LICENSE} %{PACKAGER} %{URL}\n", rpm], box.Root);
        Assert.That(info.Stdout.Trim(), Is.EqualTo("echoer 0.1.0 x86_64 MIT Echo Team <echo@example.org> https://example.org/echoer"), info.Output);
        var requires = ProcessResult.Run("rpm", ["-qp", "--requires", rpm], box.Root).Stdout;
        var glibc = System.Text.RegularExpressions.Regex.Matches(requires, @"GLIBC_(\d+)\.(\d+)").Select(m => new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)));
        Assert.That(glibc.Max(), Is.LessThanOrEqualTo(new Version(2, 17)), requires);

        var root = Path.Combine(box.Root, "rpm-root");
        Directory.CreateDirectory(root);
        var install = ProcessResult.Run("rpm", ["--root", root, "--nodeps", "-i", rpm], box.Root);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        Assert.That(ProcessResult.Run(Path.Combine(root, "usr/bin/echoer"), ["--version"], box.Root).Stdout.Trim(), Is.EqualTo("echoer 0.1.0"));
        Assert.That(File.Exists(Path.Combine(root, "usr/share/licenses/echoer/LICENSE")), "the licence text is %license");
        var erase = ProcessResult.Run("rpm", ["--root", root, "--nodeps", "-e", "echoer"], box.Root);
        Assert.That(erase.ExitCode, Is.Zero, erase.Output);
        Assert.That(Directory.EnumerateFiles(Path.Combine(root, "usr"), "*", SearchOption.AllDirectories), Is.Empty);
        Assert.That(ProcessResult.Run("rpm", ["-qp", "--qf", "%{ARCH}", Installer("rpm", "linux-arm64")], box.Root).Stdout, Is.EqualTo("aarch64"));
    }

    [Test]
    public void The_archives_hold_the_program_and_its_licence_and_the_formula_and_scoop_manifest_point_at_them()
    {
        Sandbox.RequireTools("ruby", "tar");
        var tar = Installer("tar.gz", "linux-x64");
        var list = ProcessResult.Run("tar", ["-tvzf", tar], box.Root).Stdout;
        Assert.That(list, Does.Contain("-rwxr-xr-x root/root").And.Contain(" echoer\n").And.Contain(" LICENSE\n"));
        using (var zip = ZipFile.OpenRead(Installer("zip")))
            Assert.That(zip.Entries.Select(e => e.FullName), Does.Contain("echoer.exe").And.Contain("LICENSE"));

        var formula = Installer("homebrew");
        var ruby = ProcessResult.Run("ruby", ["-c", formula], box.Root);
        Assert.That(ruby.Stdout.Trim(), Is.EqualTo("Syntax OK"), ruby.Output);
        var text = File.ReadAllText(formula);
        Assert.That(text, Does.Contain("class Echoer < Formula").And.Contain("license \"MIT\"").And.Contain("bin.install \"echoer\""));
        foreach (var platform in new[] { "darwin-arm64", "linux-x64", "linux-arm64" })
        {
            var archive = manifest.Installers.Single(i => i.Format == "tar.gz" && i.Platform == platform);
            Assert.That(text, Does.Contain($"url \"https://example.org/echoer/releases/v0.1.0/{Path.GetFileName(archive.File)}\"\n      sha256 \"{archive.Sha256}\""));
        }

        using var scoop = JsonDocument.Parse(File.ReadAllBytes(Installer("scoop")));
        var x64 = scoop.RootElement.GetProperty("architecture").GetProperty("64bit");
        var zipEntry = manifest.Installers.Single(i => i.Format == "zip");
        Assert.That(x64.GetProperty("hash").GetString(), Is.EqualTo(zipEntry.Sha256));
        Assert.That(x64.GetProperty("url").GetString(), Is.EqualTo("https://example.org/echoer/releases/v0.1.0/echoer-0.1.0-win32-x64.zip"));
        Assert.That(scoop.RootElement.GetProperty("bin")[0].GetString(), Is.EqualTo("echoer.exe"));
        Assert.That(scoop.RootElement.GetProperty("version").GetString(), Is.EqualTo("0.1.0"));
    }

    [Test]
    public void The_signed_programs_verify_against_the_CA_and_a_byte_changed_after_signing_fails_Verify()
    {
        var setup = Installer("nsis");
        var ok = ProcessResult.Run("osslsigncode", ["verify", "-CAfile", ca, "-in", setup], box.Root);
        Assert.That(ok.ExitCode, Is.Zero, ok.Output);

        // A copy of the release whose zip holds a program changed after signing, re-hashed in an
        // unsigned manifest: every hash matches, so only the Authenticode check can catch it.
        var copy = Path.Combine(box.Root, "tampered");
        Sandbox.CopyTree(box.ReleaseDir, copy);
        try
        {
            var zipPath = Path.Combine(copy, manifest.Installers.Single(i => i.Format == "zip").File);
            using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update))
            {
                var entry = zip.GetEntry("echoer.exe")!;
                byte[] bytes;
                using (var s = entry.Open())
                using (var m = new MemoryStream())
                {
                    s.CopyTo(m);
                    bytes = m.ToArray();
                }
                bytes[bytes.Length / 2] ^= 0x01;
                entry.Delete();
                using var w = zip.CreateEntry("echoer.exe").Open();
                w.Write(bytes);
            }
            var info = new FileInfo(zipPath);
            var sha = Btm.Core.IO.Sha256.HexOfFile(zipPath);
            var tampered = manifest with
            {
                Signed = false, SigningPublicKey = null,
                Installers = manifest.Installers.Select(i => i.Format == "zip" ? i with { Size = info.Length, Sha256 = sha } : i).ToList(),
            };
            var bytesOut = ReleaseManifestSerializer.Serialize(tampered);
            File.WriteAllBytes(Path.Combine(copy, ReleaseManifest.FileName), bytesOut);
            File.Delete(Path.Combine(copy, ReleaseManifest.SignatureFileName));
            File.WriteAllText(Path.Combine(copy, ReleaseManifest.SumsFileName), Sha256Sums.Render(tampered.ListedFiles
                .Append((ReleaseManifest.FileName, Btm.Core.IO.Sha256.Hex(System.Security.Cryptography.SHA256.HashData(bytesOut))))));
            Directory.Delete(box.ReleaseDir, recursive: true);
            Directory.Move(copy, box.ReleaseDir);
            var verify = box.RunWith(signing, "--target=Verify", $"--platform={Targets}", "--mode=prod", "--allow-unsigned");
            Assert.That(verify.ExitCode, Is.EqualTo(1), verify.Output);
            Assert.That(verify.Output, Does.Contain("echoer-0.1.0-win32-x64.zip: echoer.exe: its Authenticode signature does not verify against CN=Echo Team Code Signing: its bytes changed after signing")
                .And.Contain("MISMATCH"));
        }
        finally
        {
            // Put the release back for the other tests: packed again, every installer and signed
            // program has the same bytes (the release's time, not the clock, is in each of them).
            var r = box.RunWith(signing, "--target=Package", $"--platform={Targets}", "--mode=prod");
            Assert.That(r.ExitCode, Is.Zero, r.Output);
            var again = ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(box.ReleaseDir, ReleaseManifest.FileName)));
            Assert.That(again.ListedFiles, Is.EqualTo(manifest.ListedFiles));
        }
    }

    [Test]
    public void The_Windows_installer_puts_the_program_on_PATH_upgrades_in_place_and_uninstalls_everything_under_wine()
    {
        const string wine = "/usr/lib/wine/wine64";
        if (!File.Exists(wine))
            Assert.Ignore("wine64 is not installed (apt-get install wine64)");
        var prefix = Path.Combine(box.Root, "wineprefix");
        var env = new Dictionary<string, string?> { ["WINEPREFIX"] = prefix, ["WINEDEBUG"] = "-all" };
        ProcessResult Wine(params string[] args) => ProcessResult.Run(wine, args, box.Root, env);
        const string key = @"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\btm-echoer";

        var install = Wine(Installer("nsis"), "/S");
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        var program = Path.Combine(prefix, "drive_c/users", Environment.UserName, "AppData/Local/Programs/echoer");
        Assert.That(File.Exists(Path.Combine(program, "bin", "echoer.exe")), install.Output);
        Assert.That(File.Exists(Path.Combine(program, "LICENSE")));
        // A new shell reads PATH from the registry, as a new console on Windows does.
        Assert.That(Wine("cmd", "/c", "echoer", "--version").Stdout.Trim(), Is.EqualTo("echoer 0.1.0"));
        Assert.That(Wine("reg", "query", key, "/v", "DisplayVersion").Stdout, Does.Contain("0.1.0"));

        box.SetConfig("Version", "0.2.0");
        try
        {
            var upgrade = box.RunWith(signing, "--target=Package", "--platform=win32-x64", "--mode=prod");
            Assert.That(upgrade.ExitCode, Is.Zero, upgrade.Output);
            var newer = Path.Combine(box.Root, "artifacts", "0.2.0", "installers", "echoer-0.2.0-win32-x64-setup.exe");
            var over = Wine(newer, "/S");
            Assert.That(over.ExitCode, Is.Zero, over.Output);
            Assert.That(Wine("cmd", "/c", "echoer", "--version").Stdout.Trim(), Is.EqualTo("echoer 0.2.0"));
            Assert.That(Wine("reg", "query", key, "/v", "DisplayVersion").Stdout, Does.Contain("0.2.0"));
            var path = Wine("reg", "query", @"HKCU\Environment", "/v", "Path").Stdout;
            Assert.That(System.Text.RegularExpressions.Regex.Matches(path, @"Programs\\echoer\\bin").Count, Is.EqualTo(1), path);
        }
        finally
        {
            box.SetConfig("Version", "0.1.0");
        }

        var quiet = Wine("reg", "query", key, "/v", "QuietUninstallString").Stdout;
        Assert.That(quiet, Does.Contain(@"uninstall.exe"" /S"));
        var uninstall = Wine(Path.Combine(program, "uninstall.exe"), "/S");
        Assert.That(uninstall.ExitCode, Is.Zero, uninstall.Output);
        // NSIS's uninstaller runs from a copy in %TEMP% so it can delete itself: wait for it.
        for (var i = 0; i < 60 && Directory.Exists(program); i++)
            Thread.Sleep(500);
        Assert.That(Directory.Exists(program), Is.False, "the install folder is removed");
        Assert.That(Wine("reg", "query", key).ExitCode, Is.Not.Zero, "the Uninstall key is removed");
        Assert.That(Wine("reg", "query", @"HKCU\Environment", "/v", "Path").Stdout, Does.Not.Contain("echoer"));
        Assert.That(Wine("cmd", "/c", "echoer", "--version").Stdout, Does.Not.Contain("echoer 0"));
    }
}

/// <summary>The installers section's errors, and the local code-signing certificate, without a release.</summary>
public class InstallerSettingsTests
{
    [TestCase("\"installers\": { \"homepage\": \"https://example.org\" }", "installers.maintainer: is required")]
    [TestCase("\"installers\": { \"maintainer\": \"nobody\" }", "installers.maintainer: 'nobody' is not \"Name <address>\"")]
    [TestCase("\"installers\": { \"maintainer\": \"A <a@b.c>\", \"formats\": [\"msi\"] }", "installers.formats[0]: 'msi' is not an installer format")]
    [TestCase("\"installers\": { \"maintainer\": \"A <a@b.c>\", \"formats\": [\"scoop\"] }", "installers.downloadUrl: is required for the homebrew and scoop formats")]
    [TestCase("\"installers\": { \"maintainer\": \"A <a@b.c>\", \"downloadUrl\": \"http://example.org/x\" }", "installers.downloadUrl: 'http://example.org/x' must be an https:// URL containing {file}")]
    public void A_bad_installers_section_is_refused_naming_the_file_the_field_and_the_fix(string section, string expected)
    {
        using var box = new Sandbox();
        box.AddEchoer(extraJson: section);
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
        Assert.That(r.Output, Does.Contain("packages/echoer/btm.json").And.Contain(expected));
    }

    [TestCase("BTM_APPLE_CERT_BASE64", "BTM_APPLE_CERT_BASE64 is set, but Apple signing runs codesign, which only macOS has: package the darwin targets on a macOS runner")]
    [TestCase("BTM_APPLE_NOTARY_KEY_ID", "are set but BTM_APPLE_CERT_BASE64 is not: Apple notarizes only programs signed with a Developer ID certificate")]
    public void Apple_signing_settings_that_cannot_work_here_stop_Package_before_anything_is_written(string variable, string expected)
    {
        Sandbox.RequireTools("make", "npm");
        using var box = new Sandbox();
        box.AddEchoer(extraJson: "\"targets\": [\"darwin-arm64\"]");
        box.CommitAll();
        var r = box.RunWith(new Dictionary<string, string?> { [variable] = "c2VjcmV0" }, "--target=Package", "--platform=darwin-arm64", "--mode=prod");
        Assert.That(r.ExitCode, Is.Not.Zero, r.Output);
        Assert.That(r.Output, Does.Contain(expected));
        Assert.That(r.Output, Does.Not.Contain("c2VjcmV0"), "the secret is never printed");
        Assert.That(Directory.Exists(box.ReleaseDir), Is.False, "no release folder");
    }

    [Test]
    public void The_local_certificate_is_a_CA_and_a_code_signing_certificate_that_osslsigncode_signs_with_and_verifies()
    {
        Sandbox.RequireTools("osslsigncode", "openssl", "x86_64-w64-mingw32-gcc");
        var work = Directory.CreateTempSubdirectory("btm-local-cert-").FullName;
        try
        {
            var (pkcs12, password) = Btm.Build.Release.Authenticode.MakeLocal("BTM test");
            File.WriteAllBytes(Path.Combine(work, "local.p12"), pkcs12);
            File.WriteAllText(Path.Combine(work, "pass"), password);
            File.WriteAllText(Path.Combine(work, "hello.c"), "int main(void) { return 0; }\n");
            Assert.That(ProcessResult.Run("x86_64-w64-mingw32-gcc", ["-o", "hello.exe", "hello.c"], work).ExitCode, Is.Zero);
            var sign = ProcessResult.Run("osslsigncode", ["sign", "-pkcs12", "local.p12", "-readpass", "pass", "-h", "sha256", "-in", "hello.exe", "-out", "signed.exe"], work);
            Assert.That(sign.ExitCode, Is.Zero, sign.Output);
            var chain = ProcessResult.Run("openssl", ["pkcs12", "-in", "local.p12", "-passin", $"file:{Path.Combine(work, "pass")}", "-nokeys", "-out", "chain.pem"], work);
            Assert.That(chain.ExitCode, Is.Zero, chain.Output);
            var verify = ProcessResult.Run("osslsigncode", ["verify", "-CAfile", "chain.pem", "-in", "signed.exe"], work);
            Assert.That(verify.ExitCode, Is.Zero, verify.Output);
            Assert.That(verify.Output, Does.Contain("CN=BTM test CA").And.Contain("Signature verification: ok"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

/// <summary>Budgets as release gates: Verify measures each and names the one missed, its limit and the value.</summary>
public class BudgetTests
{
    [Test]
    public void Each_budget_missed_on_purpose_fails_Verify_naming_the_package_the_budget_the_limit_and_the_value()
    {
        Sandbox.RequireTools("node", "npm", "make", "cc", "x86_64-w64-mingw32-gcc");
        using var box = new Sandbox();
        // "glibc": "host" lets Package take a program linked against this machine's glibc (2.36 here):
        // the glibcFloor budget is what catches it.
        box.AddMakePackage("gauge", extraJson: """
            "glibc": "host",
              "budgets": {
                "maxSize": 100,
                "glibcFloor": "2.17",
                "maxStartupMs": 0.01,
                "maxRssMiB": 0.1,
                "maxStartupRatio": 0.001,
                "startupReference": ["true"],
                "targets": {
                  "win32-x64": { "maxCompressedSize": "0.1KB", "windowsMin": "5.0" },
                  "darwin-arm64": { "macosMin": "10.15" }
                }
              }
            """, code: "return printf(\"%f\\n\", __builtin_nan(\"\")) < 0;");
        box.CommitAll();
        var package = box.Run("--target=Package", "--platform=linux-x64,win32-x64,darwin-arm64", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var verify = box.Run("--target=Verify", "--platform=linux-x64,win32-x64,darwin-arm64", "--mode=prod");
        Assert.That(verify.ExitCode, Is.EqualTo(1), verify.Output);
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-linux-x64: budget maxSize is 100 B, the release has \d+\.\d kB"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-linux-x64: budget glibcFloor is 2\.17, the release has 2\.(3[4-9]|[4-9]\d) \(\w+ in gauge\)"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-win32-x64: budget maxCompressedSize is 100 B, the release has \d+\.\d kB"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-win32-x64: budget windowsMin is 5\.0, the release has [5-9]\.\d+ \(gauge\.exe\)"));
        Assert.That(verify.Output, Does.Contain("@btm/gauge-darwin-arm64: budget macosMin is 10.15, the release has 11.0.0 (gauge)"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-linux-x64: budget maxStartupMs is 0\.01 ms, the release has \d+\.\d ms \(gauge, median of 11\)"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-linux-x64: budget maxRssMiB is 0\.1 MiB, the release has \d+\.\d MiB \(gauge\)"));
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-linux-x64: budget maxStartupRatio is 0\.001, the release has \d+\.\d\d \(gauge [\d.]+ ms ÷ true [\d.]+ ms\)"));
        Assert.That(verify.Output, Does.Contain("start-up and memory budgets not measured for darwin-arm64, win32-x64: they do not run natively on linux-x64"));
        Assert.That(verify.Output, Does.Contain("Verify found 10 budget problem(s)"), "maxSize is missed on all three targets, the run budgets on linux-x64 only");
        Assert.That(verify.Output, Does.Match(@"@btm/gauge-win32-x64\s+maxSize\s+100 B\s+\S+ kB\s+MISSED"), "the table shows every budget");
    }

    [TestCase("\"budgets\": { \"maxSize\": \"50 parsecs\" }", "budgets.maxSize: '50 parsecs' is not a size")]
    [TestCase("\"budgets\": { \"glibcFloor\": \"new\" }", "budgets.glibcFloor: 'new' is not a version")]
    [TestCase("\"budgets\": { \"targets\": { \"beos-x64\": { } } }", "budgets.targets.beos-x64")]
    [TestCase("\"budgets\": { \"maxStartup\": 500 }", "budgets.maxStartup")]
    [TestCase("\"budgets\": { \"maxStartupRatio\": 1.5 }", "budgets.maxStartupRatio: has nothing to compare against")]
    [TestCase("\"budgets\": { \"maxRssMiB\": -1 }", "budgets.maxRssMiB: '-1' is not a positive number")]
    [TestCase("\"budgets\": { \"targets\": { \"linux-x64\": { \"startupReference\": \"node -e 0\" } } }", "budgets.targets.linux-x64.startupReference: must be a program and its arguments")]
    public void A_bad_budget_is_refused_naming_the_file_the_field_and_the_fix(string section, string expected)
    {
        using var box = new Sandbox();
        box.AddMakePackage("gauge", extraJson: section);
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Output);
        Assert.That(r.Output, Does.Contain("packages/gauge/btm.json").And.Contain(expected));
    }
}

public class IsolatedRunTests
{
    [Test]
    public void Verify_runs_each_linux_binary_in_a_root_holding_only_its_needed_libraries_and_fails_one_that_shells_out()
    {
        Sandbox.RequireTools("node", "npm", "make", "cc", "musl-gcc", "unshare");
        using var box = new Sandbox();
        box.AddEchoer("plain", "\"targets\": [\"linux-x64\", \"linux-x64-musl\"]");
        box.AddMakePackage("shellout", extraJson: """
            "targets": ["linux-x64"],
              "verify": { "args": [], "expect": "from the shell" }
            """, code: """
            FILE *p = popen("echo from the shell", "r"); char b[64] = ""; if (!p || !fgets(b, sizeof b, p)) return 1; fputs(b, stdout); return pclose(p) != 0;
            """);
        box.AddEchoer("alone", "\"targets\": [\"linux-x64-musl\"]");
        box.Write("packages/alone/Makefile", "all:\n\t$(CC) -static -DVERSION=\\\"$(BTM_VERSION)\\\" -o $(BTM_OUT_DIR)/alone src/main.c\n");
        box.CommitAll();
        var package = box.Run("--target=Package", "--platform=linux-x64,linux-x64-musl", "--mode=prod");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var verify = box.Run("--target=Verify", "--platform=linux-x64,linux-x64-musl", "--mode=prod");
        Assert.That(verify.ExitCode, Is.EqualTo(1), verify.Output);
        Assert.That(verify.Output, Does.Contain("success shellout via @btm/shellout: shellout"), "it runs on this machine, which has a shell");
        Assert.That(verify.Output, Does.Match(@"btm-shellout-linux-x64-[\d.]+\.tgz: `shellout` fails in a root holding only it and its DT_NEEDED libraries \([^)]*libc\.so\.6[^)]*\)"));
        Assert.That(verify.Output, Does.Contain("a shell, a tool on PATH"));
        Assert.That(verify.Output, Does.Not.Contain("`plain --version` fails"), "the echoer needs nothing it does not declare");
        Assert.That(verify.Output, Does.Contain("Verify found 1 runtime dependency problem(s)"));
        Assert.That(verify.Output, Does.Match(@"isolated root: linux-x64 plain \(ld-linux-x86-64\.so\.2(, \S+)*, libc\.so\.6\), shellout \([^)]+\); linux-x64-musl alone \(static, alone\), plain \(ld-musl-x86_64\.so\.1, libc\.so\)"));
    }
}

using System.Text;
using Btm.Core.Release;

namespace Btm.Core.Tests.Release;

public class ReleaseManifestSerializerTests
{
    private static string Golden => Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "manifest.json");

    private static ReleaseManifest GoldenManifest() => new(
        "1.2.3", "@acme", "0123456789abcdef0123456789abcdef01234567", false, new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero), "SOURCE_DATE_EPOCH",
        [new ManifestToolchain("linux-x64", "cc (Debian 12.2.0-14+deb12u1) 12.2.0 (/usr/bin/cc)", "cmake version 3.25.1 (/usr/bin/cmake)")],
        true, new string('0', 64),
        [
            new ManifestPackage("@acme/tool-linux-x64", "tool", "platform", "1.2.3", "linux-x64", "linux", "x64", "glibc",
                "npm/acme-tool-linux-x64-1.2.3.tgz", 100, new string('1', 64), "sha512-" + Convert.ToBase64String(new byte[64]),
                [new ManifestFile("package/package.json", 10, 0x1A4, new string('3', 64), "metadata"), new ManifestFile("package/bin/tool", 20, 0x1ED, new string('2', 64), "release")]),
            new ManifestPackage("@acme/tool", "tool", "wrapper", "1.2.3", null, null, null, null,
                "npm/acme-tool-1.2.3.tgz", 50, new string('4', 64), "sha512-" + Convert.ToBase64String(new byte[64]),
                [new ManifestFile("package/bin/tool", 30, 0x1ED, new string('5', 64), "launcher")]),
        ])
    {
        Nuget = [new ManifestNuget("Acme.Tool", "1.2.3", "Acme.Tool.1.2.3.nupkg", 60, new string('6', 64))],
        Installers =
        [
            new ManifestInstaller("tool", "linux-x64", "deb", "installers/tool_1.2.3_amd64.deb", 70, new string('7', 64)),
            new ManifestInstaller("tool", null, "homebrew", "installers/tool.rb", 80, new string('8', 64)),
        ],
        Authenticode = new ManifestAuthenticode("CN=Acme Code Signing", "authenticode-certificates.pem", new string('9', 64)),
    };

    [Test]
    public void Serializes_to_the_golden_bytes()
    {
        Assert.That(Encoding.UTF8.GetString(ReleaseManifestSerializer.Serialize(GoldenManifest())), Is.EqualTo(File.ReadAllText(Golden)));
    }

    [Test]
    public void Golden_reads_back_to_the_same_content()
    {
        var read = ReleaseManifestSerializer.Deserialize(File.ReadAllBytes(Golden));
        Assert.That(ReleaseManifestSerializer.Serialize(read), Is.EqualTo(File.ReadAllBytes(Golden)));
        Assert.That(read.Packages.Select(p => p.Name), Is.EqualTo(new[] { "@acme/tool", "@acme/tool-linux-x64" }), "sorted by name");
        Assert.That(read.Packages[1].Files[0].Path, Is.EqualTo("package/bin/tool"), "files sorted by path");
        Assert.That(read.Packages[1].Files[0].Mode, Is.EqualTo(0x1ED));
    }

    [TestCase("\"manifestVersion\": 1", "\"manifestVersion\": 2", "understands 1")]
    [TestCase("\"mode\": \"0755\"", "\"mode\": \"755\"", "not an octal mode")]
    [TestCase("\"role\": \"release\"", "\"role\": \"binary\"", ".role is 'binary'")]
    [TestCase("\"kind\": \"wrapper\"", "\"kind\": \"meta\"", ".kind is 'meta'")]
    [TestCase("\"tarball\": \"npm/acme-tool-1.2.3.tgz\"", "\"tarball\": \"../acme.tgz\"", "must be a file directly under npm/")]
    [TestCase("\"commit\": \"0123456789abcdef0123456789abcdef01234567\"", "\"commit\": \"HEAD\"", "not a 40-digit")]
    [TestCase("\"algorithm\": \"ed25519\"", "\"algorithm\": \"rsa\"", "only ed25519")]
    [TestCase("\"file\": \"Acme.Tool.1.2.3.nupkg\"", "\"file\": \"../Acme.Tool.1.2.3.nupkg\"", "$.nuget[0].file '../Acme.Tool.1.2.3.nupkg' must be a .nupkg file name")]
    [TestCase("\"file\": \"Acme.Tool.1.2.3.nupkg\"", "\"file\": \"Acme.Tool.1.2.3.zip\"", "must be a .nupkg file name")]
    [TestCase("\"file\": \"installers/tool.rb\"", "\"file\": \"installers/../tool.rb\"", "$.installers[0].file 'installers/../tool.rb' must be a file directly under installers/")]
    [TestCase("\"file\": \"installers/tool.rb\"", "\"file\": \"tool.rb\"", "must be a file directly under installers/")]
    [TestCase("\"certificates\": \"authenticode-certificates.pem\"", "\"certificates\": \"/etc/ssl/x.pem\"", "$.signing.authenticode.certificates '/etc/ssl/x.pem' must be a .pem file name")]
    public void Reader_names_the_bad_field(string from, string to, string message)
    {
        var text = File.ReadAllText(Golden);
        Assert.That(text, Does.Contain(from));
        var e = Assert.Throws<InvalidDataException>(() => ReleaseManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(text.Replace(from, to))))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void Golden_manifest_is_valid_under_the_published_schema()
    {
        var node = new[] { "/usr/bin/node", "/usr/local/bin/node" }.FirstOrDefault(File.Exists);
        var repo = TestContext.CurrentContext.TestDirectory;
        while (!File.Exists(Path.Combine(repo, "cake.config")))
            repo = Path.GetDirectoryName(repo)!;
        if (node is null || !Directory.Exists(Path.Combine(repo, "node_modules", "ajv")))
            Assert.Ignore("node and `npm ci` (for ajv) are needed for the independent schema check");
        var start = new System.Diagnostics.ProcessStartInfo(node!, [Path.Combine(repo, "tests/tools/validate-schema.js"),
            Path.Combine(repo, "docs/schemas/manifest.schema.json"), Golden]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, output);
    }
}

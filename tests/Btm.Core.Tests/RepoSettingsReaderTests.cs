using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

public class RepoSettingsReaderTests
{
    private static RepoSettings Load(string text)
    {
        using var dir = new TempDir();
        return RepoSettingsReader.Load(dir.Write("cake.config", text), "cake.config");
    }

    [Test]
    public void Reads_the_btm_section_and_ignores_cake_sections()
    {
        var s = Load("; comment\n[Nuget]\nSource=https://example\n[Btm]\nScope=@acme\nVersion=1.2.3-rc.1\nTargets=host,linux-arm64\n");
        Assert.That(s.Scope, Is.EqualTo("@acme"));
        Assert.That(s.Version, Is.EqualTo("1.2.3-rc.1"));
        var host = PlatformId.Parse("linux-x64");
        Assert.That(s.ResolveDefaultTargets(host), Is.EqualTo(new[] { host, PlatformId.Parse("linux-arm64") }));
    }

    [Test]
    public void Targets_default_to_host()
    {
        var s = Load("[Btm]\nScope=@acme\nVersion=1.0.0\n");
        Assert.That(s.DefaultTargets, Is.EqualTo(new[] { "host" }));
    }

    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nColour=blue\n", "[Btm] Colour", "unknown key")]
    [TestCase("[Btm]\nScope = @acme\nVersion=1.0.0\n", "[Btm] line 2", "spaces around the key")]
    [TestCase("[Btm]\nScope=acme\nVersion=1.0.0\n", "[Btm] Scope", "not an npm scope")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nTrustedKeys=\n", "[Btm] TrustedKeys", "empty value")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nTrustedKeys=bm90IGEga2V5\n", "[Btm] TrustedKeys", "not an Ed25519 public key")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0\n", "[Btm] Version", "not a SemVer version")]
    [TestCase("[Btm]\nScope=@acme\n", "[Btm] Version", "is required")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nTargets=linux-x86\n", "[Btm] Targets", "unknown platform id")]
    public void Bad_settings_name_the_key_and_fix(string text, string field, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Load(text))!;
        Assert.That(e.File, Is.EqualTo("cake.config"));
        Assert.That(e.Field, Is.EqualTo(field));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("Fix: "));
    }
}

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
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nPackages=../elsewhere/*\n", "[Btm] Packages", "'../elsewhere/*' is not a folder of this repo")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nPackages=/abs/tool\n", "[Btm] Packages", "'/abs/tool' is not a folder of this repo")]
    [TestCase("[Btm]\nScope=@acme\nVersion=1.0.0\nPackages=packages/**\n", "[Btm] Packages", "'packages/**' is not a folder of this repo")]
    public void Bad_settings_name_the_key_and_fix(string text, string field, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Load(text))!;
        Assert.That(e.File, Is.EqualTo("cake.config"));
        Assert.That(e.Field, Is.EqualTo(field));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("Fix: "));
    }

    [Test]
    public void A_misspelt_section_is_named_as_one_not_reported_as_missing_keys()
    {
        var e = Assert.Throws<ConfigException>(() => Load("; settings\n[Bmt]\nScope=@acme\nVersion=1.0.0\n"))!;
        Assert.That(e.Field, Is.EqualTo("line 2"));
        Assert.That(e.Message, Does.Contain("[Bmt] looks like a misspelling of [Btm]").And.Contain("rename it to [Btm]"));
        Assert.That(e.Message, Does.Not.Contain("is required"));
        var none = Assert.Throws<ConfigException>(() => Load("[Nuget]\nSource=https://example\n"))!;
        Assert.That(none.Message, Does.Contain("has no [Btm] section"));
    }

    [TestCase("Scope")]
    [TestCase("Version")]
    public void The_fix_for_a_missing_key_is_itself_valid_cake_config(string key)
    {
        var full = new Dictionary<string, string> { ["Scope"] = "@acme", ["Version"] = "1.0.0" };
        full.Remove(key);
        var text = "[Btm]\n" + string.Concat(full.Select(p => $"{p.Key}={p.Value}\n"));
        var e = Assert.Throws<ConfigException>(() => Load(text))!;
        var fix = System.Text.RegularExpressions.Regex.Match(e.Message, @"add a line (\S+) under \[Btm\]");
        Assert.That(fix.Success, Is.True, e.Message);
        // Followed to the letter, the hint gives a file both our reader and Cake's parser accept.
        Assert.That(Load(text + fix.Groups[1].Value + "\n").Scope, Is.EqualTo("@acme"));
        Assert.That(fix.Groups[1].Value, Does.Not.Contain(" "), "Cake's parser rejects spaces around '='");
    }

    [Test]
    public void GlibcFloor_defaults_to_2_17_and_names_the_fix_when_wrong()
    {
        Assert.That(Load("[Btm]\nScope=@acme\nVersion=1.0.0\n").GlibcFloor, Is.EqualTo("2.17"));
        Assert.That(Load("[Btm]\nScope=@acme\nVersion=1.0.0\nGlibcFloor=host\n").GlibcFloor, Is.EqualTo("host"));
        var e = Assert.Throws<ConfigException>(() => Load("[Btm]\nScope=@acme\nVersion=1.0.0\nGlibcFloor=2.3\n"));
        Assert.That(e!.Field, Is.EqualTo("[Btm] GlibcFloor"));
        Assert.That(e.Message, Does.Contain("GlibcFloor=2.17"));
    }
}

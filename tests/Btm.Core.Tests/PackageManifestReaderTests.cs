using System.Text.Json;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

public class PackageManifestReaderTests
{
    private const string Valid = """
        {
          "$schema": "../../docs/schemas/btm.schema.json",
          "name": "tool-a",
          "description": "A tool",
          "builder": "cmake",
          "targets": ["linux-x64", "win32-x64"],
          "binaries": ["tool-a"],
          "inputs": ["src/**"],
          "dependsOn": ["lib-b"],
          "tools": [ { "name": "libzstd", "pkgConfig": "libzstd", "version": ">=1.4", "install": { "linux": "apt-get install libzstd-dev" } } ]
        }
        """;

    private static PackageManifest Load(TempDir dir, string json, string folder = "tool-a")
    {
        var path = dir.Write($"packages/{folder}/btm.json", json);
        return PackageManifestReader.Load(path, $"packages/{folder}/btm.json", ["cmake", "make"]);
    }

    private static ConfigException LoadFails(string json, string folder = "tool-a")
    {
        using var dir = new TempDir();
        return Assert.Throws<ConfigException>(() => Load(dir, json, folder))!;
    }

    private static string With(string field, string value)
    {
        var doc = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Valid)!;
        var copy = doc.ToDictionary(p => p.Key, p => (object)p.Value);
        copy[field] = JsonDocument.Parse(value).RootElement;
        return JsonSerializer.Serialize(copy);
    }

    [Test]
    public void Reads_every_field()
    {
        using var dir = new TempDir();
        var m = Load(dir, Valid);
        Assert.That(m.Name, Is.EqualTo("tool-a"));
        Assert.That(m.Builder, Is.EqualTo("cmake"));
        Assert.That(m.Targets, Is.EqualTo(new[] { PlatformId.Parse("linux-x64"), PlatformId.Parse("win32-x64") }));
        Assert.That(m.Binaries, Is.EqualTo(new[] { "tool-a" }));
        Assert.That(m.Inputs, Is.EqualTo(new[] { "src/**" }));
        Assert.That(m.DependsOn, Is.EqualTo(new[] { "lib-b" }));
        Assert.That(m.Tools[0].PkgConfig, Is.EqualTo("libzstd"));
        Assert.That(m.Tools[0].MinVersion, Is.EqualTo("1.4"));
        Assert.That(m.Tools[0].InstallHint("linux"), Is.EqualTo("apt-get install libzstd-dev"));
        Assert.That(m.Tools[0].InstallHint("darwin"), Does.Contain("no hint"));
        Assert.That(m.Test, Is.True);
    }

    [Test]
    public void Unknown_field_names_file_field_and_fix()
    {
        var e = LoadFails(With("binarys", "[\"x\"]"));
        Assert.That(e.File, Is.EqualTo("packages/tool-a/btm.json"));
        Assert.That(e.Field, Is.EqualTo("binarys"));
        Assert.That(e.Message, Does.Contain("unknown field").And.Contain("Fix: remove it or use one of").And.Contain("binaries"));
    }

    [Test]
    public void Unknown_platform_id_names_the_value_and_the_known_ids()
    {
        var e = LoadFails(With("targets", "[\"linux-x64\", \"linux-x86\"]"));
        Assert.That(e.Field, Is.EqualTo("targets[1]"));
        Assert.That(e.Message, Does.Contain("'linux-x86'").And.Contain("linux-arm64-musl").And.Contain("packages/tool-a/btm.json"));
    }

    [TestCase("name", "\"Tool_A\"", "name", "not an npm-safe name")]
    [TestCase("name", "\"other\"", "name", "differs from its folder")]
    [TestCase("builder", "\"bazel\"", "builder", "unknown builder 'bazel'")]
    [TestCase("binaries", "[]", "binaries", "is empty")]
    [TestCase("binaries", "[\"bin/tool\"]", "binaries[0]", "not a plain executable name")]
    [TestCase("binaries", "[\"tool.exe\"]", "binaries[0]", "not a plain executable name")]
    [TestCase("inputs", "[\"../secret/**\"]", "inputs[0]", "outside the package folder")]
    [TestCase("dependsOn", "[\"tool-a\"]", "dependsOn[0]", "cannot depend on itself")]
    [TestCase("targets", "[\"linux-x64\", \"linux-x64\"]", "targets[1]", "listed twice")]
    [TestCase("test", "\"yes\"", "test", "must be true or false")]
    [TestCase("tools", "[{\"name\": \"x\"}]", "tools[0]", "exactly one of command or pkgConfig")]
    [TestCase("tools", "[{\"name\": \"x\", \"command\": \"x\", \"version\": \"3.20\"}]", "tools[0].version", "not a minimum version")]
    [TestCase("tools", "[{\"name\": \"x\", \"command\": \"x\", \"install\": {\"macos\": \"brew\"}}]", "tools[0].install.macos", "unknown os")]
    [TestCase("tools", "[{\"name\": \"x\", \"command\": \"x\", \"url\": \"y\"}]", "tools[0].url", "unknown field")]
    public void Bad_values_name_the_field(string field, string value, string reportedField, string problem)
    {
        var e = LoadFails(With(field, value));
        Assert.That(e.Field, Is.EqualTo(reportedField));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("Fix: "));
    }

    [TestCase("name")]
    [TestCase("description")]
    [TestCase("builder")]
    [TestCase("binaries")]
    public void Required_fields_are_required(string field)
    {
        var doc = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Valid)!;
        doc.Remove(field);
        var e = LoadFails(JsonSerializer.Serialize(doc));
        Assert.That(e.Field, Is.EqualTo(field));
        Assert.That(e.Message, Does.Contain("is required"));
    }

    [Test]
    public void Broken_json_names_the_line()
    {
        var e = LoadFails("{\n  \"name\": \"tool-a\",\n  oops\n}");
        Assert.That(e.Field, Is.EqualTo("line 3"));
        Assert.That(e.Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void Defaults_when_optional_fields_are_absent()
    {
        using var dir = new TempDir();
        var m = Load(dir, """{"name": "tool-a", "description": "d", "builder": "make", "binaries": ["t"]}""");
        Assert.That(m.Targets, Is.Null);
        Assert.That(m.Inputs, Is.EqualTo(PackageManifest.DefaultInputs));
        Assert.That(m.DependsOn, Is.Empty);
        Assert.That(m.Tools, Is.Empty);
        Assert.That(m.Builder, Is.EqualTo("make"));
    }

    [Test]
    public void Schema_and_reader_accept_the_same_fields()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "schemas", "btm.schema.json")));
        var root = schema.RootElement;
        var properties = root.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.That(properties, Is.EqualTo(PackageManifestReader.KnownFields.Order().ToList()));
        var toolProperties = root.GetProperty("$defs").GetProperty("tool").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        Assert.That(toolProperties, Is.EqualTo(PackageManifestReader.KnownToolFields.Order()));
        var schemaIds = root.GetProperty("$defs").GetProperty("platformId").GetProperty("enum").EnumerateArray().Select(e => e.GetString());
        Assert.That(schemaIds, Is.EquivalentTo(PlatformId.All.Select(p => p.ToString())));
        Assert.That(root.GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "name", "description", "builder", "binaries" }));
    }
}

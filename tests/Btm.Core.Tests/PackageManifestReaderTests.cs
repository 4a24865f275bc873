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

    /// <summary>cmake and make without sections, and a "probe" builder whose own section is required.</summary>
    private static readonly BuilderSpec[] Builders =
    [
        new("cmake", "d", null),
        new("make", "d", null),
        new("probe", "d", new BuilderSection("probe", """{ "type": "object" }""",
            section => new ProbeOptions(section.Known("level", "names").String("level"), section.Strings("names")), WhenAbsent: null)),
    ];

    private sealed record ProbeOptions(string Level, IReadOnlyList<string> Names);

    private static PackageManifest Load(TempDir dir, string json, string folder = "tool-a")
    {
        var path = dir.Write($"packages/{folder}/btm.json", json);
        return PackageManifestReader.Load(path, $"packages/{folder}/btm.json", Builders);
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
    [TestCase("version", "\"1.0\"", "version", "not a SemVer version")]
    [TestCase("license", "\"mit or apache\"", "license", "operators are upper case")]
    [TestCase("license", "\"GPL 2\"", "license", "not an SPDX expression")]
    [TestCase("license", "\"(MIT OR Apache-2.0\"", "license", "'(' is not closed")]
    [TestCase("sources", "[{\"urls\": [\"https://x/a.tar.gz\"]}]", "sources[0].sha256", "is required")]
    [TestCase("sources", "[{\"urls\": [\"ftp://x/a.tar.gz\"], \"sha256\": \"00\"}]", "sources[0].urls[0]", "not an http(s) URL")]
    [TestCase("sources", "[{\"urls\": [\"https://x/a.tar.gz\"], \"sha256\": \"ABC\"}]", "sources[0].sha256", "not a sha256")]
    [TestCase("sources", "[{\"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}]", "sources[0]", "no urls and no debian package")]
    [TestCase("sources", "[{\"debian\": \"zlib\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}]", "sources[0].file", "is required with \"debian\"")]
    [TestCase("sources", "[{\"urls\": [\"https://x/a.tar.gz\"], \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\", \"into\": \"../up\"}]", "sources[0].into", "leaves the source tree")]
    [TestCase("sources", "[{\"urls\": [\"https://x/a.tar.gz\"], \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\", \"branch\": \"main\"}]", "sources[0].branch", "unknown field")]
    [TestCase("install", "{\"out/x\": \"/usr/bin/x\"}", "install.out/x", "leaves the platform package")]
    [TestCase("files", "[{\"from\": \"a\", \"to\": \"b\", \"mode\": \"rw\"}]", "files[0].mode", "not an octal mode")]
    [TestCase("verify", "false", "verify", "needs a reason")]
    [TestCase("verify", "{\"reason\": \"x\", \"args\": []}", "verify", "has a reason (no check) and a check")]
    [TestCase("compress", "{\"minSaving\": 120}", "compress.minSaving", "whole percentage")]
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
    public void The_base_schema_and_the_reader_accept_the_same_fields()
    {
        using var schema = JsonDocument.Parse(BtmSchema.Generate([]));
        var root = schema.RootElement;
        var properties = root.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.That(properties, Is.EqualTo(PackageManifestReader.BaseFields.Order().ToList()));
        var toolProperties = root.GetProperty("$defs").GetProperty("tool").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        Assert.That(toolProperties, Is.EqualTo(PackageManifestReader.KnownToolFields.Order()));
        var schemaIds = root.GetProperty("$defs").GetProperty("platformId").GetProperty("enum").EnumerateArray().Select(e => e.GetString());
        Assert.That(schemaIds, Is.EquivalentTo(PlatformId.All.Select(p => p.ToString())));
        Assert.That(root.GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "name", "description", "builder", "binaries" }));
    }

    [Test]
    public void A_builder_section_is_read_by_its_own_reader()
    {
        using var dir = new TempDir();
        var m = Load(dir, With("builder", "\"probe\"").Replace("\"tools\"", "\"probe\": {\"level\": \"high\", \"names\": [\"a\"]}, \"tools\""));
        var probe = m.OptionsOf<ProbeOptions>();
        Assert.That((probe.Level, probe.Names.Single()), Is.EqualTo(("high", "a")));
    }

    [TestCase("\"builder\": \"probe\"", "probe", "is required by builder probe")]
    [TestCase("\"builder\": \"probe\", \"probe\": {\"level\": \"x\", \"depth\": 1}", "probe.depth", "unknown field")]
    [TestCase("\"builder\": \"probe\", \"probe\": {\"names\": []}", "probe.level", "is required")]
    [TestCase("\"builder\": \"probe\", \"probe\": [1]", "probe", "must be an object")]
    [TestCase("\"builder\": \"make\", \"probe\": {\"level\": \"x\"}", "probe", "is the probe builder's section, and this package's builder is make")]
    public void Builder_sections_are_checked_naming_the_field(string fields, string reportedField, string problem)
    {
        var e = LoadFails($$"""{"name": "tool-a", "description": "d", "binaries": ["t"], {{fields}}}""");
        Assert.That(e.Field, Is.EqualTo(reportedField));
        Assert.That(e.Message, Does.Contain(problem).And.Contain("Fix: "));
    }

    [Test]
    public void Upstream_settings_are_read_with_their_defaults()
    {
        using var dir = new TempDir();
        var m = Load(dir, With("sources", """
            [{ "debian": "libzstd", "file": "libzstd_1.5.4+dfsg2.orig.tar.xz", "urls": ["https://example.org/zstd-1.5.4.tar.gz"],
               "sha256": "8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953", "stripComponents": 1, "patches": ["p/fix.patch"] }]
            """));
        var source = m.Sources.Single();
        Assert.That((source.Debian, source.File, source.StripComponents, source.Into, source.Patches.Single()),
            Is.EqualTo(("libzstd", "libzstd_1.5.4+dfsg2.orig.tar.xz", 1, ".", "p/fix.patch")));
        Assert.That(m.BuilderOptions, Is.Null, "cmake here has no section");
        Assert.That(m.Verify.Args, Is.EqualTo(new[] { "--version" }));
        Assert.That(m.Verify.Expected("tool-a", "1.2.3"), Is.EqualTo("1.2.3"));
        Assert.That(m.CompressMinSaving, Is.EqualTo(10));
        Assert.That(m.VersionOr("0.9.0"), Is.EqualTo("0.9.0"));

        var url = Load(dir, With("sources", """[{ "urls": ["https://example.org/dl/x-2.0.tar.gz?mirror=1"], "sha256": "8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953" }]"""));
        Assert.That(url.Sources.Single().File, Is.EqualTo("x-2.0.tar.gz"), "the file name defaults to the URL's last segment");
    }

    [TestCase("MIT")]
    [TestCase("GPL-2.0-only")]
    [TestCase("BSD-3-Clause OR GPL-2.0-only")]
    [TestCase("(MIT AND Zlib) OR Apache-2.0 WITH LLVM-exception")]
    [TestCase("LicenseRef-Proprietary")]
    public void Spdx_expressions_are_accepted(string expression) => Assert.That(Spdx.Problem(expression), Is.Null);

    [Test]
    public void Glibc_and_source_licences_are_read_and_wrong_values_name_their_field()
    {
        using var dir = new TempDir();
        var source = """[{ "debian": "libzstd", "file": "libzstd_1.5.4+dfsg2.orig.tar.xz", "sha256": "8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953", "license": "BSD-3-Clause OR GPL-2.0-only", "licenseFiles": ["LICENSE"] }]""";
        var m = Load(dir, With("glibc", "\"2.28\"").Replace("\"tools\"", $"\"sources\":{source},\"tools\""));
        Assert.That(m.Glibc, Is.EqualTo("2.28"));
        var s = m.Sources.Single();
        Assert.That((s.Component, s.Version, s.License), Is.EqualTo(("libzstd", "1.5.4+dfsg2", "BSD-3-Clause OR GPL-2.0-only")));
        Assert.That(s.LicenseFiles, Is.EqualTo(new[] { "LICENSE" }));

        Assert.That(LoadFails(With("glibc", "\"2.5\"")).Field, Is.EqualTo("glibc"));
        var bad = LoadFails(With("sources", source.Replace("BSD-3-Clause OR GPL-2.0-only", "BSD-3-Clause OR")));
        Assert.That(bad.Field, Is.EqualTo("sources[0].license"));
        Assert.That(LoadFails(With("sources", source.Replace("[\"LICENSE\"]", "[\"../LICENSE\"]"))).Field, Is.EqualTo("sources[0].licenseFiles[0]"));
    }

    [TestCase("lua-5.4.4.tar.gz", "lua-5.4.4", "5.4.4")]
    [TestCase("libzstd_1.5.4+dfsg2.orig.tar.xz", "libzstd", "1.5.4+dfsg2")]
    [TestCase("hello_2.10.orig.tar.gz", "hello", "2.10")]
    [TestCase("snapshot.tar.gz", "snapshot", null)]
    public void A_source_names_its_component_and_version_from_its_archive(string file, string stem, string? version)
    {
        Assert.That(SourceSpec.Stem(file), Is.EqualTo(stem));
        Assert.That(SourceSpec.VersionFrom(file), Is.EqualTo(version));
    }

    [Test]
    public void Debian_patches_need_a_debian_source_and_a_pinned_packaging_archive()
    {
        using var dir = new TempDir();
        const string pin = "\"sha256\": \"3bb6b7d6f30c591dd65aaaff1c8b7a5b94d81687998ca9400082c739a690436c\"";
        var ok = Load(dir, With("sources", $$"""[{ "debian": "xxhash", "file": "xxhash_0.8.1.orig.tar.gz", {{pin}}, "debianPatches": { "file": "xxhash_0.8.1-1.debian.tar.xz", {{pin}} } }]"""));
        Assert.That(ok.Sources[0].DebianPatches, Is.EqualTo(new DebianPatchSet("xxhash_0.8.1-1.debian.tar.xz", "3bb6b7d6f30c591dd65aaaff1c8b7a5b94d81687998ca9400082c739a690436c")));
        var noDebian = LoadFails(With("sources", $$"""[{ "urls": ["https://example.org/x-1.tar.gz"], {{pin}}, "debianPatches": { "file": "x_1-1.debian.tar.xz", {{pin}} } }]"""));
        Assert.That(noDebian.Field, Is.EqualTo("sources[0].debianPatches"));
        var wrongFile = LoadFails(With("sources", $$"""[{ "debian": "x", "file": "x_1.orig.tar.gz", {{pin}}, "debianPatches": { "file": "x_1-1.dsc", {{pin}} } }]"""));
        Assert.That(wrongFile.Field, Is.EqualTo("sources[0].debianPatches.file"));
        var skipping = Load(dir, With("sources", $$"""[{ "debian": "jq", "file": "jq_1.6.orig.tar.gz", {{pin}}, "debianPatches": { "file": "jq_1.6-2.1.debian.tar.xz", {{pin}}, "skip": ["0008-x.patch"] } }]"""));
        Assert.That(skipping.Sources[0].DebianPatches!.Skip, Is.EqualTo(new[] { "0008-x.patch" }));
        var pathLike = LoadFails(With("sources", $$"""[{ "debian": "jq", "file": "jq_1.6.orig.tar.gz", {{pin}}, "debianPatches": { "file": "jq_1.6-2.1.debian.tar.xz", {{pin}}, "skip": ["../../etc/passwd"] } }]"""));
        Assert.That(pathLike.Field, Is.EqualTo("sources[0].debianPatches.skip"));
        Assert.That(pathLike.Message, Does.Contain("is not a patch name"));
    }
}

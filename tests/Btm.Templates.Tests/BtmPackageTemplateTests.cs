using System.Text.Json;
using Btm.Build.Tests;

namespace Btm.Templates.Tests;

public class BtmPackageTemplateTests
{
    private static readonly string[] Placeholders = ["btm-package-name", "btm-binary-name", "btm-package-description", "btm-json-description", "btm-targets-list", "#if", "#endif"];

    private static void AssertNoPlaceholders(string dir)
    {
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (var p in Placeholders)
                Assert.That(text, Does.Not.Contain(p), $"{file} still holds {p}");
        }
    }

    private static JsonElement BtmJson(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "btm.json"))).RootElement;

    [Test]
    public void Defaults_make_a_c_package_with_every_conventional_file()
    {
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        var output = Path.Combine(hive.Root, "probe-tool");
        var files = hive.Create(output, "-n", "probe-tool");
        Assert.That(files, Is.EqualTo(new[] { ".gitignore", "CMakeLists.txt", "README.md", "btm.json", "src/main.c", "test/version_test.c" }));
        AssertNoPlaceholders(output);
        var json = BtmJson(output);
        Assert.That(json.GetProperty("$schema").GetString(), Is.EqualTo("../../docs/schemas/btm.schema.json"));
        Assert.That(json.GetProperty("name").GetString(), Is.EqualTo("probe-tool"));
        Assert.That(json.GetProperty("builder").GetString(), Is.EqualTo("cmake"));
        Assert.That(json.GetProperty("binaries")[0].GetString(), Is.EqualTo("probe-tool"));
        Assert.That(json.TryGetProperty("targets", out _), Is.False, "targets default to the repo's conventions");
        Assert.That(json.GetProperty("tools").GetArrayLength(), Is.Zero);
        var cmake = File.ReadAllText(Path.Combine(output, "CMakeLists.txt"));
        Assert.That(cmake, Does.Contain("project(probe-tool LANGUAGES C)").And.Contain("add_executable(probe-tool src/main.c)").And.Contain("add_test(NAME version"));
        Assert.That(File.ReadAllText(Path.Combine(output, ".gitignore")), Is.EqualTo("/build/\n"), "anchored: an upstream tree's own build/ folder is kept");
    }

    [Test]
    public void Every_symbol_set_comes_out_in_files_and_contents()
    {
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        var output = Path.Combine(hive.Root, "x");
        var files = hive.Create(output, "-n", "fast-zip", "--lang", "cpp", "--binary", "fzip", "--targets", "linux-x64, win32-x64",
            "--description", "Zips \"fast\" \\ <really>");
        Assert.That(files, Is.EqualTo(new[] { ".gitignore", "CMakeLists.txt", "README.md", "btm.json", "src/main.cpp", "test/version_test.cpp" }));
        AssertNoPlaceholders(output);
        var json = BtmJson(output);
        Assert.That(json.GetProperty("name").GetString(), Is.EqualTo("fast-zip"));
        Assert.That(json.GetProperty("description").GetString(), Is.EqualTo("Zips \"fast\" \\ <really>"));
        Assert.That(json.GetProperty("binaries")[0].GetString(), Is.EqualTo("fzip"));
        Assert.That(json.GetProperty("targets").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "linux-x64", "win32-x64" }));
        var cmake = File.ReadAllText(Path.Combine(output, "CMakeLists.txt"));
        Assert.That(cmake, Does.Contain("project(fast-zip LANGUAGES CXX)").And.Contain("add_executable(fzip src/main.cpp)").And.Contain("TOOL_NAME=\"fzip\""));
        Assert.That(File.ReadAllText(Path.Combine(output, "README.md")), Does.Contain("Zips \"fast\" \\ <really>"));
    }

    [Test]
    public void Names_with_dashes_and_dots_stay_exactly_as_given()
    {
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        var output = Path.Combine(hive.Root, "dots");
        hive.Create(output, "-n", "my.cool-tool");
        AssertNoPlaceholders(output);
        Assert.That(BtmJson(output).GetProperty("name").GetString(), Is.EqualTo("my.cool-tool"));
        foreach (var file in Directory.GetFiles(output, "*", SearchOption.AllDirectories))
        {
            // The engine derives "safe" forms of sourceName (my.cool_tool, my_cool_tool); none may appear.
            Assert.That(File.ReadAllText(file), Does.Not.Contain("cool_tool"), file);
        }
        Assert.That(File.ReadAllText(Path.Combine(output, "CMakeLists.txt")), Does.Contain("add_executable(my.cool-tool src/main.c)"));
    }

    [Test]
    public void The_packed_nupkg_installs_and_makes_the_same_package_as_the_folder()
    {
        using var hive = new TemplateHive();
        var pack = ProcessResult.Run("dotnet", ["pack", Path.Combine(Sandbox.RepoRoot, "templates", "Btm.Templates.csproj"), "-o", Path.Combine(hive.Root, "nupkg"),
            "-p:PackageVersion=9.9.9", "-nologo"], hive.Root, timeoutSeconds: 600);
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
        var nupkg = Directory.GetFiles(Path.Combine(hive.Root, "nupkg"), "*.nupkg").Single();
        Assert.That(Path.GetFileName(nupkg), Is.EqualTo("Btm.Templates.9.9.9.nupkg"));
        hive.Install(nupkg);
        var fromNupkg = Path.Combine(hive.Root, "from-nupkg");
        var files = hive.Create(fromNupkg, "-n", "probe-tool");

        using var folderHive = new TemplateHive();
        folderHive.Install(folderHive.TemplateFolder);
        var fromFolder = Path.Combine(folderHive.Root, "from-folder");
        Assert.That(folderHive.Create(fromFolder, "-n", "probe-tool"), Is.EqualTo(files));
        foreach (var file in files)
            Assert.That(File.ReadAllBytes(Path.Combine(fromNupkg, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(fromFolder, file))), file);
    }

    [Test]
    public void The_install_stays_in_its_own_hive()
    {
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        Assert.That(hive.DotnetNew(hive.Root, "list", "btm-package").Output, Does.Contain("btm-package"));
        using var other = new TemplateHive();
        Assert.That(other.DotnetNew(other.Root, "list", "btm-package").ExitCode, Is.Not.Zero, "another hive (like the user's) does not see it");
    }

    [TestCase("My_Tool", "not an npm-safe name")]
    [TestCase("-dash-first", "not an npm-safe name")]
    public void A_name_npm_would_reject_fails_at_the_first_build_naming_the_rule(string name, string rule)
    {
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        using var box = new Sandbox();
        var output = Path.Combine(box.Root, "packages", name);
        var r = hive.DotnetNew(box.Root, "btm-package", $"--name={name}", "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        var build = box.Run("--target=Build");
        Assert.That(build.ExitCode, Is.EqualTo(2));
        Assert.That(build.Output, Does.Contain($"packages/{name}/btm.json: name: '{name}' is {rule}").And.Contain("Fix:"));
        Assert.That(Directory.Exists(Path.Combine(output, "build")), Is.False, "nothing is compiled");
    }

    [TestCase("c")]
    [TestCase("cpp")]
    public void A_generated_package_builds_tests_packages_and_verifies_with_no_edits(string lang)
    {
        foreach (var tool in new[] { "cmake", "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        using var box = new Sandbox();
        var r = hive.DotnetNew(box.Root, "btm-package", "-n", "probe-tool", "--lang", lang, "-o", Path.Combine(box.Root, "packages", "probe-tool"));
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        box.CommitAll();

        var test = box.Run("--target=Test", "--package=probe-tool");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        Assert.That(box.Outcome("probe-tool", "test"), Is.EqualTo("passed"));
        var package = box.Run("--target=Package", "--package=probe-tool");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        Assert.That(File.Exists(Path.Combine(box.ReleaseDir, "npm", $"btm-probe-tool-{Sandbox.Host}-0.1.0.tgz")), Is.True);
        Assert.That(File.Exists(Path.Combine(box.ReleaseDir, "npm", "btm-probe-tool-0.1.0.tgz")), Is.True);
        var manifest = File.ReadAllText(Path.Combine(box.ReleaseDir, "manifest.json"));
        Assert.That(manifest, Does.Contain("\"name\": \"@btm/probe-tool\"").And.Contain($"\"name\": \"@btm/probe-tool-{Sandbox.Host}\""));
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("probe-tool --version via @btm/probe-tool: probe-tool 0.1.0"));
    }

    [Test]
    public void Builder_make_makes_a_makefile_package_that_builds_tests_and_verifies()
    {
        foreach (var tool in new[] { "make", "cc", "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        using var box = new Sandbox();
        var output = Path.Combine(box.Root, "packages", "mk-tool");
        var files = hive.Create(output, "-n", "mk-tool", "--builder", "make");
        Assert.That(files, Is.EqualTo(new[] { ".gitignore", "Makefile", "README.md", "btm.json", "src/main.c" }));
        AssertNoPlaceholders(output);
        Assert.That(BtmJson(output).GetProperty("builder").GetString(), Is.EqualTo("make"));
        box.CommitAll();
        var test = box.Run("--target=Test");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        Assert.That(test.Output, Does.Contain("mk-tool " + Sandbox.Host + " dev: make test passed"));
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("mk-tool --version via @btm/mk-tool: mk-tool 0.1.0"));
    }

    [TestCase("go", new[] { ".gitignore", "README.md", "btm.json", "go.mod", "main.go", "main_test.go" }, "go test passed (1 package(s))")]
    [TestCase("bun", new[] { ".gitignore", "README.md", "btm.json", "src/cli.ts" }, "the app ran and printed its version")]
    public void Go_and_bun_scaffold_a_package_that_tests_packs_and_verifies(string builder, string[] expectedFiles, string testDetail)
    {
        foreach (var tool in builder == "go" ? new[] { "go", "node", "npm" } : new[] { "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        using var box = new Sandbox();
        var name = $"{builder}-tool";
        var output = Path.Combine(box.Root, "packages", name);
        var files = hive.Create(output, "-n", name, "--builder", builder);
        Assert.That(files, Is.EqualTo(expectedFiles));
        AssertNoPlaceholders(output);
        Assert.That(BtmJson(output).GetProperty("builder").GetString(), Is.EqualTo(builder));
        box.CommitAll();
        var test = box.Run("--target=Test");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        Assert.That(test.Output, Does.Contain($"{name} {Sandbox.Host} dev: {testDetail}"));
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain($"{name} --version via @btm/{name}: {name} 0.1.0"));
    }

    [Test]
    public void Upstream_makes_a_btm_json_with_the_pinned_source_and_no_code_of_its_own()
    {
        foreach (var tool in new[] { "make", "cc" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        var tarball = FileServer.TarGz(
            ("hello-1.0/Makefile", "all: hello\nhello: hello.c\n\t$(CC) -o hello hello.c\ntest: hello\n\t./hello\n", 0x1A4),
            ("hello-1.0/hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello 0.1.0\"); return 0; }\n", 0x1A4),
            ("hello-1.0/COPYING", "hello is free software under the MIT licence.\n", 0x1A4));
        using var server = new FileServer();
        var url = server.Serve("hello-1.0.tar.gz", tarball);
        using var hive = new TemplateHive();
        hive.Install(hive.TemplateFolder);
        using var box = new Sandbox();
        var output = Path.Combine(box.Root, "packages", "hello");
        var files = hive.Create(output, "-n", "hello", "--builder", "make", "--upstream", url, "--sha256", FileServer.Sha256(tarball), "--license", "MIT");
        Assert.That(files, Is.EqualTo(new[] { ".gitignore", "README.md", "btm.json" }), "no C of its own");
        var json = BtmJson(output);
        var source = json.GetProperty("sources")[0];
        Assert.That(source.GetProperty("urls")[0].GetString(), Is.EqualTo(url));
        Assert.That(source.GetProperty("sha256").GetString(), Is.EqualTo(FileServer.Sha256(tarball)));
        Assert.That(json.GetProperty("make").GetProperty("directory").GetString(), Is.EqualTo("upstream"));
        Assert.That(json.GetProperty("license").GetString(), Is.EqualTo("MIT"));
        var build = box.RunWith(new Dictionary<string, string?> { ["BTM_DOWNLOAD_DIR"] = Path.Combine(box.Root, "dl") }, "--target=Test");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        Assert.That(ProcessResult.Run(box.Final("hello", "hello"), [], box.Root).Stdout, Is.EqualTo("hello 0.1.0\n"));
    }
}

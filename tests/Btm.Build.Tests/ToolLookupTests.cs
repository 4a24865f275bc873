using Btm.Cake.Hosting;
using Cake.Core.Diagnostics;
using Btm.Build.Pipeline;

namespace Btm.Build.Tests;

[NonParallelizable]
public class ToolLookupTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "btm-tools-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        return path;
    }

    [Test]
    public void Version_output_is_cached_until_the_executable_changes()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("uses a shell script as the tool");
        var counter = Path.Combine(_dir, "calls");
        var tool = Script("fake-cc", $"echo x >> '{counter}'\necho 'fake-cc 1.0'");
        var cacheFile = Path.Combine(_dir, "cache", "versions");

        var first = new ToolVersionCache(cacheFile);
        Assert.That(first.VersionOutput(tool), Is.EqualTo("fake-cc 1.0"));
        Assert.That(first.VersionOutput(tool), Is.EqualTo("fake-cc 1.0"));
        first.Save();
        Assert.That(new ToolVersionCache(cacheFile).VersionOutput(tool), Is.EqualTo("fake-cc 1.0"));
        Assert.That(File.ReadAllLines(counter), Has.Length.EqualTo(1), "asked once, then remembered across runs");

        // An upgrade is a different file (size and mtime): asked again.
        File.WriteAllText(tool, $"#!/bin/sh\necho x >> '{counter}'\necho 'fake-cc 2.0 (upgraded)'\n");
        File.SetLastWriteTimeUtc(tool, DateTime.UtcNow.AddMinutes(1));
        Assert.That(new ToolVersionCache(cacheFile).VersionOutput(tool), Is.EqualTo("fake-cc 2.0 (upgraded)"));
        Assert.That(File.ReadAllLines(counter), Has.Length.EqualTo(2));
    }

    [Test]
    public void A_damaged_cache_file_is_ignored()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("uses a shell script as the tool");
        var tool = Script("fake-tool", "echo 'tool 3.1'");
        var cacheFile = Path.Combine(_dir, "versions");
        File.WriteAllText(cacheFile, "garbage\twith\ttabs\n");
        Assert.That(new ToolVersionCache(cacheFile).VersionOutput(tool), Is.EqualTo("tool 3.1"));
    }

    [Test]
    public void Pkg_config_files_are_found_on_the_libdir_and_path_without_pkg_config_running()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("uses a shell script as pkg-config");
        var pcDir = Path.Combine(_dir, "pc");
        Directory.CreateDirectory(pcDir);
        File.WriteAllText(Path.Combine(pcDir, "libdemo.pc"), "prefix=/usr\nName: demo\nVersion: 2.4.1\nLibs: -ldemo\n");
        // A pkg-config that fails if run: the lookup must come from the files alone.
        var pkgConfig = Script("pkg-config", "exit 99");
        var cache = new ToolVersionCache(Path.Combine(_dir, "versions"));
        var saved = Environment.GetEnvironmentVariable("PKG_CONFIG_LIBDIR");
        try
        {
            Environment.SetEnvironmentVariable("PKG_CONFIG_LIBDIR", pcDir);
            var found = PkgConfigLookup.Find(pkgConfig, "libdemo", cache);
            Assert.That(found, Is.Not.Null);
            Assert.That(found!.Version, Is.EqualTo("2.4.1"));
            Assert.That(PkgConfigLookup.Find(pkgConfig, "libmissing", cache), Is.Null);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PKG_CONFIG_LIBDIR", saved);
        }
    }

    private ToolLookup Lookup() => new(CakeContextFactory.Create(TestContext.CurrentContext.TestDirectory, Verbosity.Quiet, []).Context.Tools);

    [Test]
    public void Programs_are_found_through_Cakes_tool_locator_on_PATH()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("uses a shell script as the tool");
        var tool = Script("btm-fake-tool", "echo hi");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", _dir + Path.PathSeparator + path);
        try
        {
            var lookup = Lookup();
            Assert.That(lookup.Find("btm-fake-tool"), Is.EqualTo(tool));
            Assert.That(lookup.Find("btm-no-such-tool-anywhere"), Is.Null);
            Assert.That(lookup.Find(tool), Is.EqualTo(tool), "a rooted path is taken as it is");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Test]
    public void Cakes_argument_api_answers_from_the_parsed_options()
    {
        var options = Btm.Build.Host.HostOptionsParser.Parse(["--force", "--jobs=3", "--package", "alpha,beta"], _ => null);
        var context = CakeContextFactory.Create(TestContext.CurrentContext.TestDirectory, Verbosity.Quiet, options.Arguments).Context;
        Assert.That(context.Arguments.HasArgument("force"), Is.True);
        Assert.That(context.Arguments.GetArguments("jobs").Single(), Is.EqualTo("3"));
        Assert.That(context.Arguments.GetArguments("package").Single(), Is.EqualTo("alpha,beta"));
        Assert.That(context.Arguments.HasArgument("dry-run"), Is.False);
        Assert.That(options.Jobs, Is.EqualTo(3));
    }

    [Test]
    public void Real_pkg_config_and_the_lookup_agree()
    {
        var pkgConfig = Lookup().Find("pkg-config");
        if (pkgConfig is null || ToolProbe.Run(pkgConfig, "--exists", "libzstd").ExitCode != 0)
            Assert.Ignore("pkg-config with libzstd-dev is not installed (see README prerequisites)");
        var expected = ToolProbe.Run(pkgConfig!, "--modversion", "libzstd").Output.Trim();
        var found = PkgConfigLookup.Find(pkgConfig!, "libzstd", new ToolVersionCache(Path.Combine(_dir, "versions")));
        Assert.That(found?.Version, Is.EqualTo(expected));
    }

    [TestCase("cmake version 3.25.1\n\nCMake suite", "3.25.1")]
    [TestCase("GNU Make 4.3\nBuilt for x86_64", "4.3")]
    [TestCase("no digits here", null)]
    public void Versions_are_read_from_tool_output(string output, string? version) =>
        Assert.That(ToolProbe.ParseVersion(output), Is.EqualTo(version));

    [TestCase("3.25.1", "3.20", true)]
    [TestCase("3.20", "3.20", true)]
    [TestCase("3.19.8", "3.20", false)]
    [TestCase("10.0", "9.4", true)]
    public void Minimum_versions_compare_numerically(string actual, string minimum, bool ok) =>
        Assert.That(ToolProbe.VersionAtLeast(actual, minimum), Is.EqualTo(ok));
}

namespace Btm.Build.Tests;

/// <summary>
/// A release with a glibc and a musl package for linux-x64, installed from a real registry by every
/// npm client users run (pinned in package-lock.json), none of them ours: each gets a working
/// command, the launcher picks the glibc binary even where a client installed both, and when the
/// platform package is gone the launcher names that client's fix.
/// </summary>
[NonParallelizable]
public class ClientsTests
{
    private const string Name = "cli";
    private Sandbox? _box;
    private VerdaccioServer? _registry;

    private static string Tool(params string[] parts) => Path.Combine([Sandbox.RepoRoot, "node_modules", .. parts]);

    [OneTimeSetUp]
    public void Release()
    {
        Sandbox.RequireTools("make", "npm", "node", "musl-gcc");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the glibc and musl packages here are linux-x64's");
        _box = new Sandbox { CompleteReleases = true };
        _box.AddEchoer(Name, "\"targets\": [\"linux-x64\", \"linux-x64-musl\"]");
        _box.CommitAll();
        var package = _box.Run("--target=Package", "--platform=all");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        _registry = new VerdaccioServer(_box.Root);
        var publish = _box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = _registry.Token },
            "--target=Publish", $"--registry={_registry.Url}", "--allow-unsigned");
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _registry?.Dispose();
        _box?.Dispose();
    }

    /// <summary>An empty project outside the sandbox, with every client's cache inside it (no cross-run reuse).</summary>
    private static (string Dir, Dictionary<string, string?> Env) Consumer(string client)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"btm-client-{client}-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "package.json"), $"{{\"name\": \"consumer-{client}\", \"version\": \"1.0.0\", \"private\": true}}\n");
        var env = new Dictionary<string, string?>
        {
            ["npm_config_cache"] = Path.Combine(dir, ".cache", "npm"),
            ["YARN_CACHE_FOLDER"] = Path.Combine(dir, ".cache", "yarn"),
            ["YARN_GLOBAL_FOLDER"] = Path.Combine(dir, ".cache", "yarn-berry"),
            ["YARN_ENABLE_GLOBAL_CACHE"] = "false",
            ["YARN_ENABLE_TELEMETRY"] = "0",
            ["YARN_ENABLE_IMMUTABLE_INSTALLS"] = "false",
            ["BUN_INSTALL_CACHE_DIR"] = Path.Combine(dir, ".cache", "bun"),
            ["XDG_DATA_HOME"] = Path.Combine(dir, ".cache", "data"),
            ["CI"] = null,
        };
        return (dir, env);
    }

    [TestCase("npm")]
    [TestCase("pnpm")]
    [TestCase("yarn1")]
    [TestCase("yarn4-node-modules")]
    [TestCase("yarn4-pnp")]
    [TestCase("bun")]
    public void Each_client_installs_a_working_command(string client)
    {
        var url = _registry!.Url;
        var (dir, env) = Consumer(client);
        try
        {
            var spec = $"@btm/{Name}@0.1.0";
            string[] install;
            string[] run;
            switch (client)
            {
                case "npm":
                    install = ["npm", "install", spec, "--registry", url, "--no-audit", "--no-fund"];
                    run = [Path.Combine(dir, "node_modules", ".bin", Name), "--version"];
                    break;
                case "pnpm":
                    install = [Tool(".bin", "pnpm"), "add", spec, "--registry", url, "--store-dir", Path.Combine(dir, ".cache", "pnpm")];
                    run = [Path.Combine(dir, "node_modules", ".bin", Name), "--version"];
                    break;
                case "yarn1":
                    install = ["node", Tool("yarn", "bin", "yarn.js"), "add", spec, "--registry", url, "--non-interactive"];
                    run = [Path.Combine(dir, "node_modules", ".bin", Name), "--version"];
                    break;
                case "bun":
                    install = [Tool(".bin", "bun"), "add", spec, "--registry", url];
                    run = [Path.Combine(dir, "node_modules", ".bin", Name), "--version"];
                    break;
                default:
                    // yarn 4 refuses versions younger than a day unless the age gate is off (or the scope preapproved).
                    var linker = client.EndsWith("pnp", StringComparison.Ordinal) ? "pnp" : "node-modules";
                    File.WriteAllText(Path.Combine(dir, ".yarnrc.yml"),
                        $"nodeLinker: {linker}\nnpmRegistryServer: \"{url}\"\nunsafeHttpWhitelist:\n  - 127.0.0.1\nnpmMinimalAgeGate: 0\nenableTelemetry: false\n");
                    File.WriteAllText(Path.Combine(dir, "yarn.lock"), "");
                    install = ["node", Tool("@yarnpkg", "cli-dist", "bin", "yarn.js"), "add", spec];
                    run = linker == "pnp"
                        ? ["node", Tool("@yarnpkg", "cli-dist", "bin", "yarn.js"), Name, "--version"]
                        : [Path.Combine(dir, "node_modules", ".bin", Name), "--version"];
                    break;
            }
            var installed = ProcessResult.Run(install[0], install[1..], dir, env);
            Assert.That(installed.ExitCode, Is.Zero, installed.Output);
            var ran = ProcessResult.Run(run[0], run[1..], dir, env);
            Assert.That(ran.ExitCode, Is.Zero, ran.Output);
            Assert.That(ran.Stdout.Trim(), Is.EqualTo($"{Name} 0.1.0"));
            var both = Directory.EnumerateDirectories(dir, $"*{Name}-linux-x64-musl*", SearchOption.AllDirectories).Any();
            TestContext.Progress.WriteLine($"{client}: the musl package {(both ? "was" : "was not")} installed beside the glibc one; the command ran the glibc binary");

            if (client.StartsWith("yarn4", StringComparison.Ordinal))
                return;
            // The platform package gone (as --omit=optional leaves it): the launcher names this client's fix.
            foreach (var platformDir in Directory.EnumerateDirectories(dir, $"{Name}-linux-x64*", SearchOption.AllDirectories).ToList())
            {
                if (Directory.Exists(platformDir) && !new DirectoryInfo(platformDir).Attributes.HasFlag(FileAttributes.ReparsePoint))
                    Directory.Delete(platformDir, recursive: true);
            }
            var missing = ProcessResult.Run(run[0], run[1..], dir, env);
            Assert.That(missing.ExitCode, Is.EqualTo(1), missing.Output);
            var fix = client switch
            {
                "npm" => $"npm install {spec} --include=optional",
                "pnpm" => $"pnpm add {spec}",
                "yarn1" => $"yarn add {spec} --check-files",
                _ => $"bun add {spec}",
            };
            Assert.That(missing.Stderr, Does.Contain("is not installed").And.Contain("Reinstall with: " + fix));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    [Test]
    public void With_both_libc_packages_forced_in_the_launcher_runs_the_glibc_one()
    {
        var (dir, env) = Consumer("both");
        try
        {
            var install = ProcessResult.Run("npm", ["install", $"@btm/{Name}@0.1.0", $"@btm/{Name}-linux-x64-musl@0.1.0", "--force",
                "--registry", _registry!.Url, "--no-audit", "--no-fund"], dir, env);
            Assert.That(install.ExitCode, Is.Zero, install.Output);
            Assert.That(Directory.Exists(Path.Combine(dir, "node_modules", "@btm", $"{Name}-linux-x64-musl")), Is.True);
            Assert.That(Directory.Exists(Path.Combine(dir, "node_modules", "@btm", $"{Name}-linux-x64")), Is.True);
            var ran = ProcessResult.Run(Path.Combine(dir, "node_modules", ".bin", Name), ["--version"], dir, env);
            Assert.That(ran.ExitCode, Is.Zero, ran.Output);
            Assert.That(ran.Stdout.Trim(), Is.EqualTo($"{Name} 0.1.0"));
            // Both print the same line here (musl-tools put a musl loader on this machine): ask the launcher which it runs.
            var which = ProcessResult.Run("node", ["-e", $"console.log(require('@btm/{Name}/lib/run.js').binaryPath('{Name}'))"], dir, env);
            Assert.That(which.Stdout.Trim(), Does.EndWith(Path.Combine("@btm", $"{Name}-linux-x64", "bin", Name)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

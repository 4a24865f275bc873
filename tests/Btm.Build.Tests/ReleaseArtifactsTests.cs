using System.Diagnostics;
using System.Text.Json;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>Package and Verify through the host, with real npm, node and openssl.</summary>
public class ReleaseArtifactsTests
{
    private static string Host => Sandbox.Host;

    private static void RequireNode()
    {
        foreach (var tool in new[] { "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
    }

    private static Sandbox Packaged(string? extraJson = null, params string[] args)
    {
        RequireNode();
        var box = new Sandbox();
        box.AddEchoer(extraJson: extraJson);
        box.CommitAll();
        var r = box.Run(["--target=Package", .. args]);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return box;
    }

    [Test]
    public void Package_writes_platform_and_wrapper_tarballs_with_the_npm_fields()
    {
        using var box = Packaged("\"debugBinaries\": true");
        var npm = Path.Combine(box.ReleaseDir, "npm");
        var platformTgz = Path.Combine(npm, $"btm-echoer-{Host}-0.1.0.tgz");
        var wrapperTgz = Path.Combine(npm, "btm-echoer-0.1.0.tgz");
        Assert.That(Directory.GetFiles(npm).Select(Path.GetFileName), Is.EquivalentTo(new[] { Path.GetFileName(platformTgz), Path.GetFileName(wrapperTgz) }));

        using var platform = JsonDocument.Parse(TarballReader.ReadText(platformTgz, "package/package.json"));
        var p = platform.RootElement;
        Assert.That(p.GetProperty("name").GetString(), Is.EqualTo($"@btm/echoer-{Host}"));
        Assert.That(p.GetProperty("version").GetString(), Is.EqualTo("0.1.0"));
        Assert.That(p.GetProperty("os")[0].GetString(), Is.EqualTo(Host.Split('-')[0]));
        Assert.That(p.GetProperty("cpu")[0].GetString(), Is.EqualTo(Host.Split('-')[1]));
        if (Host.StartsWith("linux", StringComparison.Ordinal))
            Assert.That(p.GetProperty("libc")[0].GetString(), Is.EqualTo(Host.EndsWith("-musl", StringComparison.Ordinal) ? "musl" : "glibc"));
        Assert.That(p.GetProperty("license").GetString(), Is.EqualTo("MIT"));
        Assert.That(p.GetProperty("repository").GetProperty("url").GetString(), Is.EqualTo("https://github.com/btm-dev/btm"));
        Assert.That(p.GetProperty("description").GetString(), Does.Contain("echoer"));
        var modes = TarballReader.Read(platformTgz).ToDictionary(e => e.Path, e => (UnixFileMode)e.Mode);
        Assert.That(modes["package/bin/echoer"], Is.EqualTo((UnixFileMode)0x1ED));
        Assert.That(modes.Keys, Does.Contain("package/debug/bin/echoer"));

        using var wrapper = JsonDocument.Parse(TarballReader.ReadText(wrapperTgz, "package/package.json"));
        var w = wrapper.RootElement;
        Assert.That(w.GetProperty("name").GetString(), Is.EqualTo("@btm/echoer"));
        Assert.That(w.GetProperty("bin").GetProperty("echoer").GetString(), Is.EqualTo("bin/echoer"));
        var optional = w.GetProperty("optionalDependencies").EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetString());
        Assert.That(optional, Is.EqualTo(new Dictionary<string, string?> { [$"@btm/echoer-{Host}"] = "0.1.0" }), "exactly what was built, pinned");
    }

    [Test]
    public void The_manifest_is_valid_under_its_schema_and_sha256sum_accepts_the_sums()
    {
        using var box = Packaged();
        var validate = ProcessResult.Run("node", [Path.Combine(Sandbox.RepoRoot, "tests/tools/validate-schema.js"),
            Path.Combine(Sandbox.RepoRoot, "docs/schemas/manifest.schema.json"), Path.Combine(box.ReleaseDir, "manifest.json")], box.Root);
        Assert.That(validate.ExitCode, Is.Zero, validate.Output);
        var sums = ProcessResult.Run("sha256sum", ["-c", "SHA256SUMS"], box.ReleaseDir);
        Assert.That(sums.ExitCode, Is.Zero, sums.Output);
        Assert.That(sums.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3));
    }

    [Test]
    public void Verify_passes_then_fails_naming_a_tarball_with_one_flipped_byte()
    {
        using var box = Packaged();
        var ok = box.Run("--target=Verify");
        Assert.That(ok.ExitCode, Is.Zero, ok.Output);
        Assert.That(ok.Output, Does.Contain("installs only on its own os/cpu/libc").And.Contain("echoer 0.1.0"));

        var tarball = Path.Combine(box.ReleaseDir, "npm", $"btm-echoer-{Host}-0.1.0.tgz");
        var bytes = File.ReadAllBytes(tarball);
        bytes[bytes.Length / 2] ^= 0x04;
        File.WriteAllBytes(tarball, bytes);
        var bad = box.Run("--target=Verify");
        Assert.That(bad.ExitCode, Is.EqualTo(1));
        Assert.That(bad.Output, Does.Contain($"npm/btm-echoer-{Host}-0.1.0.tgz: sha256").And.Contain("manifest says"));
    }

    [Test]
    public void Two_package_runs_are_byte_identical()
    {
        using var box = Packaged();
        var first = Directory.GetFiles(box.ReleaseDir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(box.ReleaseDir, f), File.ReadAllBytes);
        var again = box.Run("--target=Package");
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        var second = Directory.GetFiles(box.ReleaseDir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(box.ReleaseDir, f), File.ReadAllBytes);
        Assert.That(second.Keys, Is.EquivalentTo(first.Keys));
        foreach (var (file, bytes) in first)
            Assert.That(second[file], Is.EqualTo(bytes), file);
        using var manifest = JsonDocument.Parse(first["manifest.json"]);
        Assert.That(manifest.RootElement.GetProperty("source").GetProperty("dirty").GetBoolean(), Is.False);
        Assert.That(manifest.RootElement.GetProperty("build").GetProperty("timeSource").GetString(), Is.EqualTo("commit"));
    }

    [Test]
    public void KeyGen_signs_openssl_verifies_and_only_trusted_keys_pass()
    {
        RequireNode();
        using var box = new Sandbox();
        box.AddEchoer();
        var keygen = box.Run("--target=KeyGen", "--signing-key=keys/release.pem");
        Assert.That(keygen.ExitCode, Is.Zero, keygen.Output);
        var keyFile = Path.Combine(box.Root, "keys", "release.pem");
        Assert.That(File.GetUnixFileMode(keyFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var privateBody = File.ReadAllLines(keyFile)[1];
        Assert.That(keygen.Output, Does.Not.Contain(privateBody), "the private key is never logged");
        var publicKey = keygen.Output.Split('\n').Single(l => l.Contains("TrustedKeys=")).Split("TrustedKeys=")[1].Trim();
        Assert.That(box.Run("--target=KeyGen", "--signing-key=keys/release.pem").ExitCode, Is.EqualTo(1), "never overwrites a key");

        box.CommitAll();
        var package = box.Run("--target=Package", "--signing-key=keys/release.pem");
        Assert.That(package.ExitCode, Is.Zero, package.Output);
        var sig = Path.Combine(box.ReleaseDir, "manifest.json.sig");
        Assert.That(new FileInfo(sig).Length, Is.EqualTo(64));

        if (File.Exists("/usr/bin/openssl"))
        {
            var openssl = ProcessResult.Run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", keyFile + ".pub", "-rawin",
                "-in", Path.Combine(box.ReleaseDir, "manifest.json"), "-sigfile", sig], box.Root);
            Assert.That(openssl.Output, Does.Contain("Signature Verified Successfully"));
        }

        File.AppendAllText(Path.Combine(box.Root, "cake.config"), $"TrustedKeys={publicKey}\n");
        var trusted = box.Run("--target=Verify");
        Assert.That(trusted.ExitCode, Is.Zero, trusted.Output);

        var config = File.ReadAllText(Path.Combine(box.Root, "cake.config")).Replace(publicKey, new string('0', 64));
        File.WriteAllText(Path.Combine(box.Root, "cake.config"), config);
        var untrusted = box.Run("--target=Verify");
        Assert.That(untrusted.ExitCode, Is.EqualTo(1));
        Assert.That(untrusted.Output, Does.Contain("manifest.json.sig: does not verify with any trusted key"));
    }

    [Test]
    public void Unsigned_manifests_are_refused_when_keys_are_trusted_unless_allowed()
    {
        using var box = Packaged();
        File.AppendAllText(Path.Combine(box.Root, "cake.config"), $"TrustedKeys={new string('0', 64)}\n");
        var refused = box.Run("--target=Verify");
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.Output, Does.Contain("unsigned").And.Contain("--allow-unsigned"));
        var allowed = box.Run("--target=Verify", "--allow-unsigned");
        Assert.That(allowed.ExitCode, Is.Zero, allowed.Output);
    }

    private static string InstallWrapper(Sandbox box, bool omitOptional)
    {
        var project = Path.Combine(box.Root, omitOptional ? "consumer-no-optional" : "consumer");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "package.json"), "{\"name\": \"consumer\", \"version\": \"1.0.0\", \"private\": true}\n");
        var npm = Path.Combine(box.ReleaseDir, "npm");
        string[] args = omitOptional
            ? ["install", "--registry=http://127.0.0.1:9", "--fetch-retries=0", "--omit=optional", Path.Combine(npm, "btm-echoer-0.1.0.tgz")]
            : ["install", "--registry=http://127.0.0.1:9", "--fetch-retries=0", Path.Combine(npm, "btm-echoer-0.1.0.tgz"), Path.Combine(npm, $"btm-echoer-{Host}-0.1.0.tgz")];
        var r = ProcessResult.Run("npm", args, project);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return Path.Combine(project, "node_modules", ".bin", "echoer");
    }

    [Test]
    public void The_wrapper_passes_arguments_stdin_and_exit_codes_through()
    {
        using var box = Packaged();
        var echoer = InstallWrapper(box, omitOptional: false);
        var echo = ProcessResult.Run(echoer, ["a b", "--flag", "", "ü"], box.Root);
        Assert.That((echo.ExitCode, echo.Stdout), Is.EqualTo((0, "[a b][--flag][][ü]\n")));
        Assert.That(ProcessResult.Run(echoer, ["--exit", "42"], box.Root).ExitCode, Is.EqualTo(42));
        Assert.That(ProcessResult.Run(echoer, ["--version"], box.Root).Stdout, Is.EqualTo("echoer 0.1.0\n"));

        var start = new ProcessStartInfo(echoer, ["--cat"]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using (var cat = Process.Start(start)!)
        {
            cat.StandardInput.Write("line one\nline two\n");
            cat.StandardInput.Close();
            Assert.That(cat.StandardOutput.ReadToEnd(), Is.EqualTo("line one\nline two\n"));
            cat.WaitForExit();
            Assert.That(cat.ExitCode, Is.Zero);
        }
    }

    [Test]
    public void A_signal_to_the_wrapper_reaches_the_binary_and_is_re_raised()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("POSIX signals");
        using var box = Packaged();
        var echoer = InstallWrapper(box, omitOptional: false);
        using var sleeper = Process.Start(new ProcessStartInfo(echoer, ["--sleep"]) { RedirectStandardOutput = true })!;
        Assert.That(sleeper.StandardOutput.ReadLine(), Is.EqualTo("sleeping"), "the binary is running");
        Assert.That(ProcessResult.Run("kill", ["-TERM", sleeper.Id.ToString()], box.Root).ExitCode, Is.Zero);
        Assert.That(sleeper.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the binary got the signal and the wrapper exited");
        Assert.That(sleeper.ExitCode, Is.EqualTo(128 + 15), "the wrapper dies of the binary's signal (SIGTERM)");
    }

    [Test]
    public void Without_its_platform_package_the_wrapper_says_which_package_and_why()
    {
        using var box = Packaged();
        var echoer = InstallWrapper(box, omitOptional: true);
        var r = ProcessResult.Run(echoer, ["--version"], box.Root);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.StartWith($"@btm/echoer: the platform package @btm/echoer-{Host}@0.1.0 is not installed:"));
        Assert.That(r.Stderr, Does.Contain("--omit=optional").And.Contain("npm install @btm/echoer@0.1.0 --include=optional"));
    }
}

using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Build.Tests;

/// <summary>`btm psp verify|inspect|extract` as a user runs them: a real process, exit codes, messages naming file and region.</summary>
public class PspCliTests
{
    private static readonly string BtmCli = Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll");

    private static ProcessResult Btm(string dir, params string[] args) => ProcessResult.Run("dotnet", [BtmCli, "psp", .. args], dir);

    [Test]
    public void Verify_inspect_and_extract_a_package_and_refuse_a_changed_one_or_another_key()
    {
        var dir = Directory.CreateTempSubdirectory("btm-psp-cli-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "app", "lib"));
            File.WriteAllText(Path.Combine(dir, "app", "main.py"), "print('hi')\n");
            File.WriteAllText(Path.Combine(dir, "app", "lib", "util.py"), "X = 1\n");
            var key = Ed25519Keys.Generate();
            var package = Path.Combine(dir, "tool.psp");
            PspWriter.Write(package, "launcher"u8.ToArray(), new PspMetadata("tool", "2.0.0", "linux-x64", "app/main.py", [], ["PYTHONHOME={workenv}/app"]),
                [new PspSlotSource("app", PspPurpose.App, Path.Combine(dir, "app"))], key);

            var verify = Btm(dir, "verify", package, "--key", key.PublicKeyHex);
            Assert.That(verify.ExitCode, Is.Zero, verify.Output);
            Assert.That(verify.Stdout, Does.Contain("tool 2.0.0 for linux-x64, 1 slot(s)"));
            var inspect = Btm(dir, "inspect", package, "--key", key.PublicKeyHex);
            Assert.That(inspect.ExitCode, Is.Zero, inspect.Output);
            Assert.That(inspect.Stdout, Does.Contain("\"entry\": \"app/main.py\"").And.Contain("\"purpose\": \"app\""));
            var extract = Btm(dir, "extract", package, "--key", key.PublicKeyHex, "-o", Path.Combine(dir, "out"));
            Assert.That(extract.ExitCode, Is.Zero, extract.Output);
            Assert.That(File.ReadAllText(Path.Combine(dir, "out", "app", "lib", "util.py")), Is.EqualTo("X = 1\n"));
            var again = Btm(dir, "extract", package, "--key", key.PublicKeyHex, "-o", Path.Combine(dir, "out"));
            Assert.That((again.ExitCode, again.Stderr), Is.EqualTo((2, again.Stderr)));
            Assert.That(again.Stderr, Does.Contain("is not empty"));

            var other = Btm(dir, "verify", package, "--key", Ed25519Keys.Generate().PublicKeyHex);
            Assert.That(other.ExitCode, Is.EqualTo(1));
            Assert.That(other.Stderr, Does.Contain($"{package}: signature: signed by key"));
            var bytes = File.ReadAllBytes(package);
            bytes[bytes.Length - 400] ^= 1;
            var changed = Path.Combine(dir, "changed.psp");
            File.WriteAllBytes(changed, bytes);
            var refused = Btm(dir, "extract", changed, "--key", key.PublicKeyHex, "-o", Path.Combine(dir, "never"));
            Assert.That(refused.ExitCode, Is.EqualTo(1));
            Assert.That(refused.Stderr, Does.Contain($"{changed}: slot app: its SHA-256 differs from the table's"));
            Assert.That(Directory.Exists(Path.Combine(dir, "never")), Is.False, "nothing extracted from a refused package");
            var noKey = Btm(dir, "verify", package);
            Assert.That(noKey.ExitCode, Is.EqualTo(2));
            Assert.That(noKey.Stderr, Does.Contain("no --key"));
            Assert.That(noKey.Stderr, Does.Not.Contain("   at "), "no stack trace");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

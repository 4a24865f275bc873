namespace Btm.Build.Tests;

/// <summary>Targets other than the host, built here with Debian's cross toolchains and run where this machine can.</summary>
public class PlatformsTests
{
    private static void RequireTools(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (apt-get install musl-tools gcc-aarch64-linux-gnu qemu-user)");
        }
    }

    [Test]
    public void Three_linux_targets_build_test_pack_and_verify_each_running_natively_or_under_qemu()
    {
        RequireTools("make", "cc", "npm", "musl-gcc", "aarch64-linux-gnu-gcc", "qemu-aarch64");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the cross toolchains here build from linux-x64");
        using var box = new Sandbox();
        box.AddEchoer("multi", "\"targets\": [\"linux-x64\", \"linux-x64-musl\", \"linux-arm64\"]");
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=all");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        foreach (var platform in new[] { "linux-x64", "linux-x64-musl", "linux-arm64" })
            Assert.That(box.LastSummary().Single(s => s.Platform == platform && s.Stage == "test").Outcome, Is.EqualTo("passed"), platform);

        Assert.That(box.Run("--target=Package", "--platform=all").ExitCode, Is.Zero);
        var verify = box.Run("--target=Verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Output);
        Assert.That(verify.Output, Does.Contain("multi --version on linux-arm64 (under qemu-aarch64): multi 0.1.0"));
        Assert.That(verify.Output, Does.Contain("multi --version on linux-x64-musl: multi 0.1.0"));
        Assert.That(verify.Output, Does.Contain("other platforms: linux-arm64 run under qemu-aarch64; linux-x64-musl run natively"));

        // What shipped for each target is that target's: the ELF machine and the loader.
        foreach (var (platform, machine, loader) in new[]
                 {
                     ("linux-x64-musl", "x86-64", "ld-musl-x86_64.so.1"), ("linux-arm64", "ARM aarch64", "ld-linux-aarch64.so.1"),
                 })
        {
            var binary = Path.Combine(box.Package("multi"), "build", "dev", platform, "out", "Final", "multi");
            var file = ProcessResult.Run("file", [binary], box.Root).Stdout;
            Assert.That(file, Does.Contain(machine).And.Contain(loader), platform);
        }
    }
}

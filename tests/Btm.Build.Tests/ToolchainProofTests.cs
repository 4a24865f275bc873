namespace Btm.Build.Tests;

/// <summary>CheckTools proves a toolchain by compiling, linking and running a tiny program, not by finding it.</summary>
public class ToolchainProofTests
{
    [Test]
    public void A_compiler_that_cannot_link_fails_CheckTools_naming_the_Debian_package_and_a_working_one_is_proved_once()
    {
        Sandbox.RequireTools("make", "cc");
        if (!Sandbox.Host.StartsWith("linux-", StringComparison.Ordinal))
            Assert.Ignore("the host-cc row with CC is the linux host's own compiler");
        using var box = new Sandbox();
        // The host's own compiler (the floor off), given as CC: a wrapper whose links find no C library,
        // as a cross gcc without its libc -dev package does.
        box.SetConfig("GlibcFloor", "host");
        var broken = box.Write("bin/cc-nolibc", "#!/bin/sh\nexec cc -nostdlib -nostartfiles \"$@\"\n");
        File.SetUnixFileMode(broken, (UnixFileMode)0x1ED);
        box.AddMakePackage("proved");
        box.CommitAll();
        var r = box.RunWith(new Dictionary<string, string?> { ["CC"] = broken }, "--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain($"the host-cc toolchain for {Sandbox.Host} cannot compile and link a C program")
            .And.Contain("undefined reference to `puts'").And.Contain("apt-get install build-essential"));
        Assert.That(Directory.Exists(Path.Combine(box.Package("proved"), "build")), Is.False, "nothing compiled before the proof");

        var good = box.Run("--target=Build");
        Assert.That(good.ExitCode, Is.Zero, good.Output);
        Assert.That(good.Output, Does.Contain($"toolchains proved (compiled, linked, ran): {Sandbox.Host} (host-cc)"));
        // Remembered until the toolchain or the machine's packages change.
        var again = box.Run("--target=Build");
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(Directory.GetFiles(Path.Combine(box.Root, ".btm", "cache", "toolchain-proofs", Sandbox.Host), "proved"), Has.Length.EqualTo(1));
    }
}

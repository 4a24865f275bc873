using System.Security.Cryptography;

namespace Btm.Build.Tests;

/// <summary>The repo's real first package, built with the real CMake and tested with CTest through the host.</summary>
public class BinflateTests
{
    private static void RequireBuildTools()
    {
        foreach (var tool in new[] { "cmake", "cc", "pkg-config" })
        {
            if (Which(tool) is null)
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        if (ProcessResult.Run("pkg-config", ["--exists", "libzstd"], Path.GetTempPath()).ExitCode != 0)
            Assert.Ignore("libzstd-dev is not installed (see README prerequisites)");
    }

    private static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);

    [Test]
    public void Binflate_builds_tests_and_restores_through_the_host()
    {
        RequireBuildTools();
        using var box = new Sandbox("bin-stub", "binflate");
        var first = box.Run("--target=Test");
        Assert.That(first.ExitCode, Is.Zero, first.Output);
        Assert.That(box.Outcome("binflate", "final"), Is.EqualTo("built"));
        Assert.That(box.Outcome("binflate", "test"), Is.EqualTo("passed"));
        Assert.That(box.LastSummary().Single(s => s.Package == "binflate" && s.Stage == "test").Detail, Does.Contain("100% tests passed"));

        var binflate = box.Final("binflate", "binflate");
        var version = ProcessResult.Run(binflate, ["--version"], box.Root);
        Assert.That(version.Stdout, Is.EqualTo("binflate 0.1.0\n"));

        var second = box.Run("--target=Build");
        Assert.That(second.ExitCode, Is.Zero, second.Output);
        foreach (var stage in new[] { "compiled", "stripped", "final" })
            Assert.That(box.Outcome("binflate", stage), Is.EqualTo("restored"));
        Assert.That(second.Output, Does.Not.Contain("building"));
    }

    [Test]
    public void Binflate_restores_a_frame_made_by_the_zstd_cli()
    {
        RequireBuildTools();
        if (Which("zstd") is null)
            Assert.Ignore("the zstd command is not installed (apt-get install zstd)");
        using var box = new Sandbox("bin-stub", "binflate");
        Assert.That(box.Run("--target=Build", "--mode=prod").ExitCode, Is.Zero);
        var binflate = box.Final("binflate", "binflate", "prod");

        var original = Path.Combine(box.Root, "payload.bin");
        var data = new byte[3_000_000];
        new Random(42).NextBytes(data.AsSpan(0, 1_000_000));
        File.WriteAllBytes(original, data);
        Assert.That(ProcessResult.Run("zstd", ["-q", "-19", original, "-o", original + ".zst"], box.Root).ExitCode, Is.Zero);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));

        var restored = Path.Combine(box.Root, "restored.bin");
        var ok = ProcessResult.Run(binflate, [original + ".zst", "-o", restored, "--size", data.Length.ToString(), "--sha256", sha], box.Root);
        Assert.That(ok.ExitCode, Is.Zero, ok.Output);
        Assert.That(File.ReadAllBytes(restored), Is.EqualTo(data));

        var truncated = original + ".cut.zst";
        var frame = File.ReadAllBytes(original + ".zst");
        File.WriteAllBytes(truncated, frame[..(frame.Length / 2)]);
        var bad = ProcessResult.Run(binflate, [truncated, "-o", Path.Combine(box.Root, "never.bin")], box.Root);
        Assert.That(bad.ExitCode, Is.EqualTo(3), bad.Output);
        Assert.That(bad.Stderr, Does.Contain("truncated"));
        Assert.That(File.Exists(Path.Combine(box.Root, "never.bin")), Is.False);
        Assert.That(Directory.GetFiles(box.Root, "never.bin*"), Is.Empty, "no temp file left behind");
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;

namespace Btm.Build.Tests;

/// <summary>Linux glibc binaries link against the floor's symbols (zig), say so, and a newer need is refused.</summary>
public class GlibcFloorTests
{
    private static void RequireZig()
    {
        Sandbox.RequireTools("make", "npm", "objdump");
        Sandbox.RequireZig();
    }

    /// <summary>The newest GLIBC_ version objdump -T lists for a file (binutils, independent of BTM's reader).</summary>
    private static Version? NewestGlibc(string file, string root)
    {
        var table = ProcessResult.Run("objdump", ["-T", file], root).Stdout;
        return Regex.Matches(table, @"GLIBC_(\d+\.\d+(?:\.\d+)?)").Select(m => Version.Parse(m.Groups[1].Value)).DefaultIfEmpty().Max();
    }

    private static JsonElement PackageJson(string tarball, string dir)
    {
        Btm.Core.IO.SafeArchive.Extract(tarball, Path.GetFileName(tarball), dir, 1);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json"))).RootElement;
    }

    [Test]
    public void Linux_glibc_binaries_link_against_glibc_2_17_by_default_run_and_say_so()
    {
        RequireZig();
        Sandbox.RequireTools("qemu-aarch64");
        using var box = new Sandbox();
        // Linked against this host's glibc (2.36) the same program needs GLIBC_2.34 (__libc_start_main).
        box.AddMakePackage("floored", extraJson: "\"targets\": [\"linux-x64\", \"linux-arm64\"]");
        box.CommitAll();
        var test = box.Run("--target=Test", "--platform=all", "--mode=prod");
        Assert.That(test.ExitCode, Is.Zero, test.Output);
        // The test stage ran each one (natively, under qemu with the arm64 glibc from libc6-arm64-cross).
        Assert.That(box.LastSummary().Where(s => s.Stage == "test").Select(s => (s.Platform, s.Outcome)),
            Is.EquivalentTo(new[] { ("linux-x64", "passed"), ("linux-arm64", "passed") }), test.Output);
        var r = box.Run("--target=Package", "--platform=all", "--mode=prod");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        foreach (var platform in new[] { "linux-x64", "linux-arm64" })
        {
            var binary = Path.Combine(box.Package("floored"), "build", "prod", platform, "out", "Final", "floored");
            Assert.That(NewestGlibc(binary, box.Root), Is.LessThanOrEqualTo(new Version(2, 17)), platform);
            var json = PackageJson(Path.Combine(box.ReleaseDir, "npm", $"btm-floored-{platform}-0.1.0.tgz"), Path.Combine(box.Root, "x-" + platform));
            Assert.That(json.GetProperty("btm").GetProperty("glibc").GetString(), Is.EqualTo("2.17"));
            Assert.That(json.GetProperty("libc")[0].GetString(), Is.EqualTo("glibc"));
            Assert.That(File.ReadAllText(Path.Combine(box.Root, "x-" + platform, "README.md")), Does.Contain("glibc 2.17 or newer"));
        }
    }

    [Test]
    public void A_binary_linked_against_a_newer_glibc_than_the_floor_is_refused_naming_the_symbol_and_the_floor_is_in_the_key()
    {
        RequireZig();
        Sandbox.RequireTools("cc");
        using var box = new Sandbox();
        // This host's own gcc (glibc 2.36) chosen explicitly: its binaries need GLIBC_2.34 (__libc_start_main) at least.
        box.SetConfig("Toolchains", "linux-x64:host-cc");
        box.AddMakePackage("newer", extraJson: "\"targets\": [\"linux-x64\"]");
        box.CommitAll();
        var r = box.Run("--target=Package", "--platform=linux-x64");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Match(@"newer linux-x64 dev: newer needs GLIBC_2\.(3[4-9]|[4-9]\d) \(symbol \w+\), newer than its glibc floor 2\.17"));
        Assert.That(r.Output, Does.Contain("btm.json \"glibc\"").And.Contain("Toolchains= entry for linux-x64"));
        Assert.That(Directory.Exists(box.ReleaseDir), Is.False, "nothing partial is left looking complete");

        // Raising the package's floor to the host's accepts it; the floor is part of the toolchain identity, so it rebuilds.
        var json = Path.Combine(box.Package("newer"), "btm.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"targets\"", "\"glibc\": \"host\", \"targets\""));
        var host = box.Run("--target=Package", "--platform=linux-x64");
        Assert.That(host.ExitCode, Is.Zero, host.Output);
        var glibc = PackageJson(Path.Combine(box.ReleaseDir, "npm", "btm-newer-linux-x64-0.1.0.tgz"), Path.Combine(box.Root, "x"))
            .GetProperty("btm").GetProperty("glibc").GetString();
        Assert.That(Version.Parse(glibc!), Is.EqualTo(NewestGlibc(Path.Combine(box.Package("newer"), "build", "dev", "linux-x64", "out", "Final", "newer"), box.Root) is { } v ? new Version(v.Major, v.Minor) : null),
            "with the floor off, package.json says the newest GLIBC_ the binary needs");

        // The repo floor changes the zig target, so the key: a build at 2.28 is not restored from the 2.17 one.
        File.WriteAllLines(Path.Combine(box.Root, "cake.config"), File.ReadAllLines(Path.Combine(box.Root, "cake.config")).Where(l => !l.StartsWith("Toolchains=")));
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"glibc\": \"host\", ", ""));
        Assert.That(box.Run("--target=Build", "--platform=linux-x64").ExitCode, Is.Zero);
        box.SetConfig("GlibcFloor", "2.28");
        var again = box.Run("--target=Build", "--platform=linux-x64");
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(box.Outcome("newer", "compiled"), Is.EqualTo("built"));
        Assert.That(again.Output, Does.Contain("inputs changed: toolchain"));
    }
}

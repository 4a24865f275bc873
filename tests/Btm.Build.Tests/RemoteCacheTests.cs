using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>
/// The shared checkpoint cache against the real turborepo-remote-cache server: clones at different
/// paths share stages; what comes back is checked; a cache that fails never fails a build.
/// </summary>
public class RemoteCacheTests
{
    /// <summary>A clone with the same two packages (one depending on the other), at its own path.</summary>
    private static Sandbox Clone()
    {
        var box = new Sandbox();
        box.AddMakePackage("lib");
        box.AddEchoer("app", "\"dependsOn\": [\"lib\"]");
        box.CommitAll();
        return box;
    }

    private static (int Restored, int Uploaded, int Refused, string? Disabled) Remote(Sandbox box)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(box.SummaryPath));
        var r = doc.RootElement.GetProperty("remote");
        return (r.GetProperty("restored").GetInt32(), r.GetProperty("uploaded").GetInt32(), r.GetProperty("refused").GetInt32(),
            r.TryGetProperty("disabled", out var d) ? d.GetString() : null);
    }

    private static int Warnings(string output, string text) =>
        output.Split('\n').Count(l => l.StartsWith("warn", StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));

    [Test]
    public void A_second_clone_at_another_path_builds_everything_from_the_remote_cache_with_zero_compiles()
    {
        Sandbox.RequireTools("make", "cc", "node");
        using var a = Clone();
        using var server = new RemoteCacheServer(a.Root);
        var first = a.RunWith(server.Environment(), "--target=Build");
        Assert.That(first.ExitCode, Is.Zero, first.Output);
        var stages = a.LastSummary();
        Assert.That(stages.Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }));
        Assert.That(Remote(a).Uploaded, Is.EqualTo(stages.Count), "every stage saved locally is uploaded");
        Assert.That(server.Artifacts, Has.Count.EqualTo(stages.Count));
        Assert.That(first.Output, Does.Contain($"remote cache {server.Url} (readwrite, team {RemoteCacheServer.Team}): 0 restored, {stages.Count} uploaded"));

        using var b = Clone();
        Assert.That(b.Root, Is.Not.EqualTo(a.Root));
        var second = b.RunWith(server.Environment(), "--target=Build");
        Assert.That(second.ExitCode, Is.Zero, second.Output);
        var restored = b.LastSummary();
        Assert.That(restored.Select(s => (s.Package, s.Stage, s.Outcome)), Is.EquivalentTo(stages.Select(s => (s.Package, s.Stage, "restored"))),
            "zero compiles: every stage restored");
        Assert.That(restored.Select(s => s.Detail), Is.Not.Empty.And.All.StartWith("remote, key "));
        Assert.That(second.Output, Does.Not.Contain("building ("), "no stage was built");
        Assert.That(Remote(b), Is.EqualTo((stages.Count, 0, 0, (string?)null)), "nothing to upload: every stage came from the cache");
        Assert.That(File.ReadAllBytes(b.Final("app", "app")), Is.EqualTo(File.ReadAllBytes(a.Final("app", "app"))));
        Assert.That(ProcessResult.Run(b.Final("app", "app"), ["--version"], b.Root).Stdout, Is.EqualTo("app 0.1.0\n"));

        // The next run of B finds everything in its own local store: the remote is not asked again.
        var third = b.RunWith(server.Environment(), "--target=Build");
        Assert.That(b.LastSummary().Select(s => s.Detail), Is.Not.Empty.And.All.StartWith("local, key "));
        Assert.That(Remote(b).Restored, Is.Zero, third.Output);
    }

    [Test]
    public void A_clone_whose_cmake_and_compiler_are_copies_at_another_path_restores_every_stage_from_the_remote_cache()
    {
        Sandbox.RequireTools("cmake", "cc", "node");
        // The host's own compiler (floor off), so CC picks it; a cmake package, so the builder is cmake.
        Sandbox CMakeClone()
        {
            var box = new Sandbox();
            box.SetConfig("GlibcFloor", "host");
            box.Write("packages/tool/btm.json", """
                { "name": "tool", "description": "fixture tool", "builder": "cmake", "binaries": ["tool"], "inputs": ["CMakeLists.txt", "main.c"], "test": false }
                """);
            box.Write("packages/tool/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(tool C)\nadd_executable(tool main.c)\n");
            box.Write("packages/tool/main.c", "#include <stdio.h>\nint main(void) { puts(\"tool\"); return 0; }\n");
            box.CommitAll();
            return box;
        }
        using var a = CMakeClone();
        using var server = new RemoteCacheServer(a.Root);
        var first = a.RunWith(server.Environment(), "--target=Build");
        Assert.That(first.ExitCode, Is.Zero, first.Output);
        var stages = a.LastSummary();
        Assert.That(stages.Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }));

        // Another machine's layout: cmake and the compiler installed elsewhere (copies, not links; cmake
        // finds its modules beside itself), first on PATH.
        using var b = CMakeClone();
        var elsewhere = Path.Combine(b.Root, "opt");
        Directory.CreateDirectory(Path.Combine(elsewhere, "bin"));
        Directory.CreateDirectory(Path.Combine(elsewhere, "share"));
        var cmake = Path.Combine(elsewhere, "bin", "cmake");
        File.Copy(Sandbox.Which("cmake"), cmake);
        foreach (var modules in Directory.GetDirectories("/usr/share", "cmake-*"))
            Directory.CreateSymbolicLink(Path.Combine(elsewhere, "share", Path.GetFileName(modules)), modules);
        // gcc finds cc1 and its libraries relative to itself (../libexec/gcc, ../lib/gcc), as cmake its modules.
        foreach (var tree in new[] { "lib", "libexec" })
            Directory.CreateSymbolicLink(Path.Combine(elsewhere, tree), Path.Combine("/usr", tree));
        var cc = Path.Combine(elsewhere, "bin", "cc");
        File.Copy(new FileInfo(Sandbox.Which("cc")).ResolveLinkTarget(true)?.FullName ?? Sandbox.Which("cc"), cc);
        foreach (var copy in new[] { cmake, cc })
            File.SetUnixFileMode(copy, (UnixFileMode)0x1ED);
        var env = new Dictionary<string, string?>(server.Environment())
        {
            ["PATH"] = Path.Combine(elsewhere, "bin") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["CC"] = cc,
        };
        var second = b.RunWith(env, "--target=Build");
        Assert.That(second.ExitCode, Is.Zero, second.Output);
        Assert.That(second.Output, Does.Not.Contain("building ("), "no stage was built");
        Assert.That(b.LastSummary().Select(s => (s.Package, s.Stage, s.Outcome)), Is.EquivalentTo(stages.Select(s => (s.Package, s.Stage, "restored"))));
        // The paths are still recorded where a person looks when two builds differ: the work-tree stamp.
        Assert.That(b.RunWith(env, "--target=Build", "--force").ExitCode, Is.Zero);
        var stamp = File.ReadAllText(Path.Combine(b.Package("tool"), "build", "dev", Sandbox.Host, "work", ".btm-tree"));
        Assert.That(stamp, Does.Contain($"compiler: {cc}").And.Contain($"builder: {cmake}"));
    }

    [Test]
    public void An_artifact_altered_in_the_server_storage_is_refused_and_rebuilt_signed_or_not()
    {
        Sandbox.RequireTools("make", "cc", "node");
        foreach (var signed in new[] { false, true })
        {
            using var a = Clone();
            using var server = new RemoteCacheServer(a.Root, signatureKey: signed ? "shared-signing-secret" : null);
            Assert.That(a.RunWith(server.Environment(), "--target=Build").ExitCode, Is.Zero);
            // One byte flipped in every stored entry: near the end, inside the archive.
            foreach (var artifact in server.Artifacts)
            {
                var bytes = File.ReadAllBytes(artifact);
                bytes[^20] ^= 0x40;
                File.WriteAllBytes(artifact, bytes);
            }
            using var b = Clone();
            var run = b.RunWith(server.Environment(), "--target=Build");
            Assert.That(run.ExitCode, Is.Zero, run.Output);
            Assert.That(b.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }), $"signed={signed}: nothing altered is restored");
            var counts = Remote(b);
            Assert.That(counts.Refused, Is.EqualTo(b.LastSummary().Count), run.Output);
            Assert.That(counts.Restored, Is.Zero);
            var why = signed ? "x-artifact-tag does not match" : "does not match its metadata";
            Assert.That(Warnings(run.Output, "remote cache entry refused, building instead"), Is.EqualTo(counts.Refused));
            Assert.That(run.Output, Does.Contain(why), $"signed={signed}");
            Assert.That(ProcessResult.Run(b.Final("app", "app"), ["--version"], b.Root).Stdout, Is.EqualTo("app 0.1.0\n"));
            // B's own uploads replaced the altered entries: a third clone restores everything.
            using var c = Clone();
            Assert.That(c.RunWith(server.Environment(), "--target=Build").ExitCode, Is.Zero);
            Assert.That(c.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "restored" }), $"signed={signed}");
        }
    }

    [Test]
    public void An_entry_without_a_tag_is_refused_when_a_signature_key_is_set()
    {
        Sandbox.RequireTools("make", "cc", "node");
        // A server without a signature key of its own stores bodies and drops tags.
        using var a = Clone();
        using var server = new RemoteCacheServer(a.Root);
        var signing = server.Environment();
        signing["BTM_REMOTE_CACHE_SIGNATURE_KEY"] = "shared-signing-secret";
        Assert.That(a.RunWith(signing, "--target=Build").ExitCode, Is.Zero);
        using var b = Clone();
        var run = b.RunWith(signing, "--target=Build");
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("it carries no x-artifact-tag and BTM_REMOTE_CACHE_SIGNATURE_KEY is set"));
        Assert.That(Remote(b).Restored, Is.Zero);
    }

    [Test]
    public void A_wrong_token_an_unreachable_and_a_silent_cache_are_each_one_warning_and_a_local_build()
    {
        Sandbox.RequireTools("make", "cc", "node");
        using var box = Clone();
        using var server = new RemoteCacheServer(box.Root);
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start(); // accepts connections, never answers
        var silentUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}";
        var closedUrl = $"http://127.0.0.1:{VerdaccioServer.FreePort()}";
        foreach (var (label, env, expected) in new[]
                 {
                     ("wrong token", server.Environment(token: "not-the-token"), "answered 401"),
                     ("unreachable", server.Environment(url: closedUrl), "failed: Connection refused"),
                     ("silent", server.Environment(url: silentUrl), "got no answer within 1 s"),
                 })
        {
            env["BTM_REMOTE_CACHE_TIMEOUT"] = "1";
            var run = box.RunWith(env, "--target=Build", "--force");
            Assert.That(run.ExitCode, Is.Zero, $"{label}: {run.Output}");
            Assert.That(Warnings(run.Output, "remote cache:"), Is.EqualTo(1), $"{label}: one warning, not one per stage\n{run.Output}");
            Assert.That(run.Output, Does.Contain(expected), label);
            Assert.That(box.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }), label);
            Assert.That(Remote(box).Disabled, Does.Contain(expected), label);
        }
        Assert.That(server.Artifacts, Is.Empty, "the wrong token stored nothing");
        Assert.That(box.Run("--target=Build", "--force").Output, Does.Not.Contain("remote cache"), "no cache configured: not a word about it");
    }

    [Test]
    public void Read_mode_restores_but_never_uploads()
    {
        Sandbox.RequireTools("make", "cc", "node");
        using var a = Clone();
        using var server = new RemoteCacheServer(a.Root);
        var read = a.RunWith(server.Environment(), "--target=Build", "--remote-cache=read");
        Assert.That(read.ExitCode, Is.Zero, read.Output);
        Assert.That(server.Artifacts, Is.Empty);
        Assert.That(Remote(a).Uploaded, Is.Zero);
        Assert.That(a.RunWith(server.Environment(), "--target=Build", "--force").ExitCode, Is.Zero);
        var stored = server.Artifacts.Count;
        Assert.That(stored, Is.Positive);

        using var b = Clone();
        var pr = b.RunWith(server.Environment(), "--target=Build", "--remote-cache=read", "--package=lib");
        Assert.That(pr.ExitCode, Is.Zero, pr.Output);
        Assert.That(b.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "restored" }));
        var off = b.RunWith(server.Environment(), "--target=Build", "--remote-cache=off");
        Assert.That(b.LastSummary().Where(s => s.Package == "app").Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }), off.Output);
        Assert.That(server.Artifacts, Has.Count.EqualTo(stored), "read and off never upload");
        var bad = b.RunWith(server.Environment(), "--target=Build", "--remote-cache=sometimes");
        Assert.That(bad.ExitCode, Is.Not.Zero);
        Assert.That(bad.Output, Does.Contain("--remote-cache=sometimes: use off, read or readwrite"));
    }

    [Test]
    public void The_server_killed_mid_upload_fails_no_build_and_its_partial_entry_is_never_restored()
    {
        Sandbox.RequireTools("make", "cc", "node");
        using var a = new Sandbox();
        // 2 MB of incompressible bytes appended to the program (the loader ignores them), so the
        // upload is still going when the server dies.
        a.Write("packages/big/btm.json", """{ "name": "big", "description": "a large output", "builder": "make", "binaries": ["big"], "test": false }""");
        a.Write("packages/big/Makefile", "all:\n\t$(CC) -o $(BTM_OUT_DIR)/big src/main.c\n\thead -c 2000000 /dev/urandom >> $(BTM_OUT_DIR)/big\n");
        a.Write("packages/big/src/main.c", "#include <stdio.h>\nint main(void) { puts(\"big\"); return 0; }\n");
        a.CommitAll();
        using var server = new RemoteCacheServer(a.Root);
        using var proxy = new KillMidUploadProxy(server, killAfter: 512 * 1024);
        var run = a.RunWith(server.Environment(url: proxy.Url), "--target=Build");
        Assert.That(proxy.Killed, Is.True, "the server died during the first upload\n" + run.Output);
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(Warnings(run.Output, "remote cache: PUT failed"), Is.EqualTo(1), run.Output);
        Assert.That(Remote(a).Uploaded, Is.Zero);

        // Whatever the dead server left in its storage, the next clone never restores it.
        server.Start();
        var leftovers = server.Artifacts.Select(f => new FileInfo(f).Length).ToList();
        TestContext.Progress.WriteLine($"left in storage after the kill: {string.Join(", ", leftovers.Select(l => $"{l} bytes"))}");
        Directory.Delete(Path.Combine(a.Package("big"), "build"), recursive: true);
        var b = a.RunWith(server.Environment(), "--target=Build");
        Assert.That(b.ExitCode, Is.Zero, b.Output);
        Assert.That(a.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "built" }), b.Output);
        Assert.That(Remote(a).Refused, Is.EqualTo(leftovers.Count), "a partial entry left by the kill is refused");
        Directory.Delete(Path.Combine(a.Package("big"), "build"), recursive: true);
        var c = a.RunWith(server.Environment(), "--target=Build");
        Assert.That(c.ExitCode, Is.Zero, c.Output);
        Assert.That(a.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "restored" }), "the rebuilt stages were uploaded whole this time");
        Assert.That(new FileInfo(Path.Combine(a.Package("big"), "build", "dev", Sandbox.Host, "out", "Compiled", "big")).Length, Is.GreaterThan(2000000));
    }

    [Test]
    public void Two_clones_uploading_the_same_keys_at_once_never_lead_to_a_bad_restore()
    {
        Sandbox.RequireTools("make", "cc", "node");
        using var a = Clone();
        using var b = Clone();
        using var server = new RemoteCacheServer(a.Root);
        var runs = new[] { a, b }.AsParallel().Select(box => box.RunWith(server.Environment(), "--target=Build")).ToList();
        Assert.That(runs.Select(r => r.ExitCode), Is.EqualTo(new[] { 0, 0 }), string.Join("\n", runs.Select(r => r.Output)));
        // The server's local storage writes each upload in place, so two at once can interleave
        // into a mixed entry (the fixture's debug info differs per clone path). A third clone
        // restores what checks out and builds (and re-uploads) the rest, with a warning for each.
        using var c = Clone();
        var third = c.RunWith(server.Environment(), "--target=Build");
        Assert.That(third.ExitCode, Is.Zero, third.Output);
        var stages = c.LastSummary();
        Assert.That(stages.Select(s => s.Outcome), Is.Not.Empty.And.All.AnyOf("restored", "built"));
        Assert.That(Remote(c).Refused, Is.EqualTo(stages.Count(s => s.Outcome == "built")), "every stage not restored was refused, none was missing");
        Assert.That(ProcessResult.Run(c.Final("app", "app"), ["--version"], c.Root).Stdout, Is.EqualTo("app 0.1.0\n"));
        TestContext.Progress.WriteLine($"after two simultaneous uploads: {Remote(c).Restored} restored, {Remote(c).Refused} refused");
        using var d = Clone();
        Assert.That(d.RunWith(server.Environment(), "--target=Build").ExitCode, Is.Zero);
        Assert.That(d.LastSummary().Select(s => s.Outcome).Distinct(), Is.EqualTo(new[] { "restored" }));
    }
}

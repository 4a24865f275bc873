using System.Net;
using System.Text.Json;
using Btm.Build.Publishing;

namespace Btm.Build.Tests;

/// <summary>
/// Publish under faults, against a real verdaccio behind a fault-injecting proxy: lost answers,
/// concurrent runs of one version and of two, a kill between tag moves. After each run the
/// registry's own metadata must satisfy the release invariant (docs/publishing.md).
/// </summary>
public class PublishFaultTests
{
    private static string Host => Sandbox.Host;
    private static readonly string[] Wrappers = ["@btm/alpha", "@btm/beta"];

    private static Sandbox Released(string version = "0.1.0")
    {
        foreach (var tool in new[] { "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        var box = new Sandbox();
        box.AddEchoer("alpha");
        box.AddEchoer("beta");
        SetVersion(box, version);
        box.CommitAll();
        var r = box.Run("--target=Package");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return box;
    }

    private static void SetVersion(Sandbox box, string version)
    {
        var config = Path.Combine(box.Root, "cake.config");
        File.WriteAllText(config, File.ReadAllText(config).Replace("Version=0.1.0", $"Version={version}"));
    }

    private static ProcessResult Publish(Sandbox box, string url, string token, params string[] extra) =>
        box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = token }, ["--target=Publish", $"--registry={url}", "--allow-unsigned", .. extra]);

    private static string[] Names => Wrappers.SelectMany(w => new[] { w, $"{w}-{Host}" }).ToArray();

    /// <summary>
    /// The invariant, read independently of BTM's code: every version any dist-tag of a wrapper
    /// points at has every platform package it names at that version.
    /// </summary>
    private static List<string> Inconsistencies(VerdaccioServer registry)
    {
        var problems = new List<string>();
        using var http = new HttpClient();
        JsonElement? Doc(string name)
        {
            var response = http.GetAsync($"{registry.Url}/{name.Replace("/", "%2f")}").GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.NotFound)
                return null;
            return JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult()).RootElement.Clone();
        }
        foreach (var wrapper in Wrappers)
        {
            if (Doc(wrapper) is not { } doc || !doc.TryGetProperty("dist-tags", out var tags))
                continue;
            foreach (var tag in tags.EnumerateObject())
            {
                var version = tag.Value.GetString()!;
                if (!doc.GetProperty("versions").TryGetProperty(version, out var v))
                {
                    problems.Add($"{wrapper}: {tag.Name} → {version}, which does not exist");
                    continue;
                }
                foreach (var dep in v.GetProperty("optionalDependencies").EnumerateObject())
                {
                    var pinned = dep.Value.GetString()!;
                    if (Doc(dep.Name) is not { } platform || !platform.GetProperty("versions").TryGetProperty(pinned, out _))
                        problems.Add($"{wrapper}: {tag.Name} → {version}, but {dep.Name}@{pinned} is missing");
                }
            }
        }
        return problems;
    }

    private static Dictionary<string, string?> Latest(VerdaccioServer registry) =>
        Names.ToDictionary(n => n, n => registry.Lookup(n, "0").Tags.GetValueOrDefault("latest"));

    private static void Clear(VerdaccioServer registry)
    {
        using var client = new RegistryClient(registry.Url, registry.Token);
        foreach (var name in Names)
            client.UnpublishAsync(name, null).GetAwaiter().GetResult();
    }

    [Test]
    public void A_lost_answer_to_a_committed_platform_publish_is_settled_by_reading_the_registry()
    {
        using var box = Released();
        using var registry = new VerdaccioServer(box.Root);
        using var proxy = new FaultProxy(registry, FaultProxy.Once(r => r.IsPublishOf($"@btm/alpha-{Host}"), Fault.CommitThen500));
        var r = Publish(box, proxy.Url, registry.Token);
        Assert.That(proxy.Faulted, Has.Count.EqualTo(1), "the fault fired");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain($"@btm/alpha-{Host}@0.1.0").And.Contain("the registry shows it published by this run"));
        Assert.That(r.Output, Does.Not.Match($@"@btm/alpha-{Host}\s+failed"));
        Assert.That(Latest(registry).Values, Is.All.EqualTo("0.1.0"));
        Assert.That(Inconsistencies(registry), Is.Empty);
    }

    [Test]
    public void An_upload_whose_connection_dies_unseen_is_sent_again_and_one_that_never_gets_through_fails_the_release()
    {
        using var box = Released();
        using var registry = new VerdaccioServer(box.Root);
        using (var proxy = new FaultProxy(registry, FaultProxy.Once(r => r.IsPublishOf($"@btm/alpha-{Host}"), Fault.Drop)))
        {
            var r = Publish(box, proxy.Url, registry.Token);
            Assert.That(proxy.Faulted, Has.Count.EqualTo(1), "the fault fired");
            Assert.That(r.ExitCode, Is.Zero, r.Output);
            Assert.That(r.Output, Does.Contain($"@btm/alpha-{Host}@0.1.0: publishing @btm/alpha-{Host}@0.1.0: PUT").And.Contain("the registry does not list it, so it is sent again (1 of 2)"));
            Assert.That(Latest(registry).Values, Is.All.EqualTo("0.1.0"));
            Assert.That(Inconsistencies(registry), Is.Empty);
        }

        // Every upload of one package dropped: three sends, then the release fails and nothing of it stays.
        Clear(registry);
        using (var proxy = new FaultProxy(registry, r => r.IsPublishOf($"@btm/alpha-{Host}") ? Fault.Drop : Fault.None))
        {
            var r = Publish(box, proxy.Url, registry.Token);
            Assert.That(proxy.Faulted, Has.Count.EqualTo(3), "sent three times");
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
            Assert.That(r.Output, Does.Contain($"the registry does not list @btm/alpha-{Host}@0.1.0 after 3 upload(s), so it was not published"));
            foreach (var name in Names)
                Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Null, $"{name} is not left published");
            Assert.That(Inconsistencies(registry), Is.Empty);
        }
    }

    [Test]
    public void A_dropped_answer_to_the_wrapper_publish_is_this_runs_and_a_later_failure_rolls_it_back()
    {
        using var box = Released();
        using var registry = new VerdaccioServer(box.Root);
        var dropped = FaultProxy.Once(r => r.IsPublishOf("@btm/alpha"), Fault.CommitThenDrop);
        // A tag npm does not set by itself on a first publish (it sets latest), so a tag write happens.
        var refused = FaultProxy.Once(r => r.IsTagWrite("next"), Fault.Refuse);
        using var proxy = new FaultProxy(registry, r => dropped(r) is var f && f != Fault.None ? f : refused(r));
        var r = Publish(box, proxy.Url, registry.Token, "--tag=next");
        Assert.That(proxy.Faulted.Select(f => f.Fault), Is.EquivalentTo(new[] { Fault.CommitThenDrop, Fault.Refuse }), "both faults fired");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain("@btm/alpha@0.1.0").And.Contain("the registry shows it published by this run"));
        foreach (var name in Names)
            Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Null, $"{name} is rolled back, the wrapper whose answer was lost included");
        Assert.That(Inconsistencies(registry), Is.Empty);
    }

    [Test]
    public void A_lost_answer_to_a_tag_write_is_settled_by_reading_the_tag()
    {
        using var box = Released();
        using var registry = new VerdaccioServer(box.Root);
        using var proxy = new FaultProxy(registry, FaultProxy.Once(r => r.IsTagWrite("next"), Fault.CommitThenDrop));
        var r = Publish(box, proxy.Url, registry.Token, "--tag=next");
        Assert.That(proxy.Faulted, Has.Count.EqualTo(1));
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("the registry shows next on 0.1.0"));
        Assert.That(Names.Select(n => registry.Lookup(n, "0").Tags.GetValueOrDefault("next")), Is.All.EqualTo("0.1.0"));
    }

    [Test]
    public void Two_runs_of_one_version_at_once_never_undo_each_other()
    {
        using var box = Released();
        using var registry = new VerdaccioServer(box.Root);
        var outcomes = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            Clear(registry);
            var runs = new[] { 0, 1 }.Select(_ => Task.Run(() => Publish(box, registry.Url, registry.Token))).ToArray();
            var results = runs.Select(t => t.GetAwaiter().GetResult()).ToArray();
            var all = string.Join("\n----\n", results.Select(x => x.Output));
            Assert.That(Inconsistencies(registry), Is.Empty, $"round {round}:\n{all}");
            Assert.That(results.Count(x => x.ExitCode == 0), Is.GreaterThanOrEqualTo(1), $"round {round}: one run completes the release\n{all}");
            // Whatever each run says, the registry holds the whole release on latest.
            Assert.That(Latest(registry).Values, Is.All.EqualTo("0.1.0"), $"round {round}\n{all}");
            foreach (var name in Names)
                Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Not.Null, $"round {round}: {name}\n{all}");
            foreach (var failed in results.Where(x => x.ExitCode != 0))
                Assert.That(failed.Output, Does.Contain("holds release 0.1.0").And.Contain("undoes nothing"), $"round {round}: a losing run says why\n{all}");
            outcomes.Add(string.Join("+", results.Select(x => x.ExitCode)));
        }
        TestContext.Progress.WriteLine($"one version, 10 rounds of two runs: exit codes {string.Join(", ", outcomes)}");
    }

    [Test]
    public void Two_runs_of_two_versions_at_once_leave_every_tag_on_a_complete_release()
    {
        using var older = Released("0.1.0");
        using var newer = Released("0.2.0");
        using var registry = new VerdaccioServer(older.Root);
        var outcomes = new List<string>();
        for (var round = 0; round < 10; round++)
        {
            Clear(registry);
            var a = Task.Run(() => Publish(older, registry.Url, registry.Token));
            var b = Task.Run(() => Publish(newer, registry.Url, registry.Token));
            var (ra, rb) = (a.GetAwaiter().GetResult(), b.GetAwaiter().GetResult());
            var all = ra.Output + "\n----\n" + rb.Output;
            Assert.That(Inconsistencies(registry), Is.Empty, $"round {round}:\n{all}");
            var latest = Latest(registry).Values.Distinct().ToList();
            Assert.That(latest, Has.Count.EqualTo(1), $"round {round}: latest is not mixed ({string.Join(", ", Latest(registry))})\n{all}");
            // A run that exits 0 told the truth: alone, its version is latest; both, the later one's is.
            if (ra.ExitCode == 0 && rb.ExitCode != 0)
                Assert.That(latest[0], Is.EqualTo("0.1.0"), $"round {round}\n{all}");
            if (rb.ExitCode == 0 && ra.ExitCode != 0)
                Assert.That(latest[0], Is.EqualTo("0.2.0"), $"round {round}\n{all}");
            Assert.That(ra.ExitCode == 0 || rb.ExitCode == 0, Is.True, $"round {round}: one release goes out\n{all}");
            foreach (var failed in new[] { ra, rb }.Where(x => x.ExitCode != 0))
                Assert.That(failed.Output, Does.Contain("started moving latest while this run"), $"round {round}\n{all}");
            outcomes.Add($"{ra.ExitCode}+{rb.ExitCode}→{latest[0]}");
        }
        TestContext.Progress.WriteLine($"two versions, 10 rounds: {string.Join(", ", outcomes)}");
    }

    [Test]
    public void A_run_killed_between_tag_moves_is_named_by_the_next_run_and_a_rerun_repairs_it()
    {
        using var box = Released("0.1.0");
        using var registry = new VerdaccioServer(box.Root);
        Assert.That(Publish(box, registry.Url, registry.Token).ExitCode, Is.Zero);
        SetVersion(box, "0.2.0");
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);

        var killed = box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = registry.Token, ["BTM_FAULT"] = $"publish.tagged:@btm/alpha-{Host}" },
            "--target=Publish", $"--registry={registry.Url}", "--allow-unsigned");
        Assert.That(killed.ExitCode, Is.Not.Zero.And.Not.EqualTo(1), "killed, not failed: " + killed.Output);
        Assert.That(Latest(registry)[$"@btm/alpha-{Host}"], Is.EqualTo("0.2.0"));
        Assert.That(Latest(registry)["@btm/alpha"], Is.EqualTo("0.1.0"), "the release is mixed");
        Assert.That(Inconsistencies(registry), Is.Empty, "mixed, yet every tag points at a complete version");

        var next = box.Run("--target=Tasks");
        var firstLines = string.Join("\n", next.Output.Split('\n').Take(3));
        Assert.That(firstLines, Does.Contain("the Publish of 0.2.0").And.Contain("was stopped while moving latest").And.Contain("--target=Publish"));

        var verify = box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = registry.Token }, "--target=Verify", $"--registry={registry.Url}");
        Assert.That(verify.ExitCode, Is.EqualTo(1), verify.Output);
        Assert.That(verify.Output, Does.Contain("latest is mixed").And.Contain("started moving latest and has not finished"));

        var rerun = Publish(box, registry.Url, registry.Token);
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Output);
        Assert.That(rerun.Output, Does.Contain("a release of 0.2.0 was moving latest and has not finished").And.Contain("this run completes it"));
        Assert.That(Latest(registry).Values, Is.All.EqualTo("0.2.0"));

        var after = box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = registry.Token }, "--target=Verify", $"--registry={registry.Url}");
        Assert.That(after.ExitCode, Is.Zero, after.Output);
        Assert.That(after.Output, Does.Contain("latest consistent, every tagged version complete"));
        Assert.That(after.Output, Does.Not.Contain("was stopped while moving"), "the journal is cleared by the repair");
    }

    [Test]
    public void The_local_registry_dies_with_a_killed_owner_and_a_leftover_is_stopped_by_the_next_run()
    {
        using var box = Released();
        box.AddReleaseTooling();
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Sandbox.HostDll, $"--root={box.Root}", "--target=Registry"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["BTM_REGISTRY_PORT"] = port.ToString();
        using var owner = System.Diagnostics.Process.Start(start)!;
        var registryRoot = Path.Combine(box.Root, "artifacts", "registry");
        System.Diagnostics.Process? stray = null;
        try
        {
            string? line;
            while ((line = owner.StandardOutput.ReadLine()) is not null && !line.Contains("serving"))
            {
            }
            Assert.That(line, Does.Contain("serving"));
            Assert.That(Serving(registryRoot), Is.Not.Empty, "a registry process serves the storage");

            // SIGKILL: no finally block, no Dispose, no signal handler runs in the owner.
            owner.Kill(entireProcessTree: false);
            owner.WaitForExit();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Serving(registryRoot).Count > 0 && DateTime.UtcNow < deadline)
                Thread.Sleep(100);
            Assert.That(Serving(registryRoot), Is.Empty, "the registry died with its owner");
            using (var http = new HttpClient())
                Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/-/ping"));

            // A registry that outlived its owner some other way (here: a bare verdaccio started by
            // hand and recorded as the storage's server) is found and stopped by the next run.
            stray = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("node",
                [Path.Combine(Sandbox.RepoRoot, "node_modules", "verdaccio", "bin", "verdaccio"), "--config", Path.Combine(registryRoot, "config.yaml"), "--listen", "127.0.0.1:0"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = registryRoot,
            })!;
            File.WriteAllText(Path.Combine(registryRoot, ".server.pid"), $"{stray.Id}\n");
            var publish = box.Run("--target=Publish");
            Assert.That(publish.ExitCode, Is.Zero, publish.Output);
            Assert.That(publish.Output, Does.Contain($"stopped a local registry (pid {stray.Id})"));
            Assert.That(stray.WaitForExit(5000), Is.True, "the leftover registry is stopped");
            Assert.That(Serving(registryRoot), Is.Empty, "and Publish stopped its own registry when done");
        }
        finally
        {
            foreach (var p in new[] { owner, stray })
            {
                if (p is { HasExited: false })
                    p.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Pids of processes working in this registry folder (verdaccio rewrites its command line).</summary>
    private static List<int> Serving(string registryRoot) =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && Btm.Build.Publishing.LocalRegistry.ServesFrom(pid, registryRoot)).ToList();
}

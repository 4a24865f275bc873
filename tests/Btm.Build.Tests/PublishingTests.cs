namespace Btm.Build.Tests;

/// <summary>All-or-nothing publishing against a real verdaccio on loopback that each test starts and stops.</summary>
public class PublishingTests
{
    private static string Host => Sandbox.Host;

    private static Sandbox Released(params string[] components)
    {
        foreach (var tool in new[] { "node", "npm" })
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
        var box = new Sandbox();
        foreach (var c in components)
            box.AddEchoer(c);
        box.CommitAll();
        var r = box.Run("--target=Package");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        return box;
    }

    // The fixtures are unsigned; signing is covered by the release-artifact tests and the last test here.
    private static ProcessResult Publish(Sandbox box, string url, string token, params string[] extra) =>
        box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = token }, ["--target=Publish", $"--registry={url}", "--allow-unsigned", .. extra]);

    private static string[] Names(params string[] components) =>
        components.SelectMany(c => new[] { $"@btm/{c}-{Host}", $"@btm/{c}" }).ToArray();

    private static string ManifestIntegrity(Sandbox box, string name)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(box.ReleaseDir, "manifest.json")));
        return doc.RootElement.GetProperty("packages").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == name).GetProperty("integrity").GetString()!;
    }

    [Test]
    public void Happy_path_publishes_everything_then_moves_latest_and_a_rerun_is_a_no_op()
    {
        using var box = Released("alpha", "beta");
        using var registry = new VerdaccioServer(box.Root);
        var first = Publish(box, registry.Url, registry.Token);
        Assert.That(first.ExitCode, Is.Zero, first.Output);
        foreach (var name in Names("alpha", "beta"))
        {
            var (integrity, tags) = registry.Lookup(name, "0.1.0");
            Assert.That(integrity, Is.EqualTo(ManifestIntegrity(box, name)), name);
            Assert.That(tags.GetValueOrDefault("latest"), Is.EqualTo("0.1.0"), name);
            Assert.That(tags.Keys.Where(t => t.StartsWith("btm-")), Is.Empty, $"{name}: the run's own tags are tidied away");
        }
        Assert.That(first.Output, Does.Contain("fresh install of @btm/alpha@0.1.0 runs: alpha 0.1.0"));
        Assert.That(first.Output, Does.Not.Contain(registry.Token), "the token is never printed");

        var again = Publish(box, registry.Url, registry.Token);
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(again.Output, Does.Contain("preflight: 0 to publish, 4 already published with identical bytes"));
        Assert.That(again.Output, Does.Not.Contain("published @btm"));
    }

    [Test]
    public void A_refused_platform_package_rolls_back_the_run_and_leaves_nothing_on_latest()
    {
        using var box = Released("alpha", "beta");
        using var registry = new VerdaccioServer(box.Root, forbiddenPackage: $"@btm/beta-{Host}");
        var r = Publish(box, registry.Url, registry.Token);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain($"@btm/beta-{Host}").And.Contain("not allowed to publish"));
        foreach (var name in Names("alpha", "beta"))
            Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Null, $"{name} must not be on the registry after the rollback");
        Assert.That(r.Output, Does.Match($@"@btm/alpha-{Host}\s+rolled back"));
        Assert.That(r.Output, Does.Match($@"@btm/beta-{Host}\s+failed\s+.*not allowed to publish"));
        Assert.That(r.Output, Does.Match(@"@btm/alpha\s+not published"), "the wrapper is never published while a platform package is missing");
    }

    [Test]
    public void After_the_registry_dies_mid_publish_a_rerun_completes_the_release()
    {
        using var box = Released("alpha", "beta", "gamma");
        using var registry = new VerdaccioServer(box.Root);
        using var proxy = new FaultProxy(registry, FaultProxy.Once(r => r.IsPublish, Fault.CommitThenKillRegistry));
        var crashed = Publish(box, proxy.Url, registry.Token);
        Assert.That(crashed.ExitCode, Is.EqualTo(1), crashed.Output);
        Assert.That(proxy.Faulted, Has.Count.EqualTo(1));

        proxy.Armed = false;
        registry.Restart();
        foreach (var wrapper in new[] { "@btm/alpha", "@btm/beta", "@btm/gamma" })
            Assert.That(registry.Lookup(wrapper, "0.1.0").Integrity, Is.Null, $"{wrapper}: no wrapper went out while platform packages were missing");

        var rerun = Publish(box, proxy.Url, registry.Token);
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Output);
        Assert.That(rerun.Output, Does.Match(@"preflight: \d to publish, [1-9] already published with identical bytes"));
        foreach (var name in Names("alpha", "beta", "gamma"))
        {
            var (integrity, tags) = registry.Lookup(name, "0.1.0");
            Assert.That(integrity, Is.EqualTo(ManifestIntegrity(box, name)), name);
            Assert.That(tags.GetValueOrDefault("latest"), Is.EqualTo("0.1.0"), name);
        }
    }

    [Test]
    public void A_version_already_published_with_other_bytes_is_refused_before_anything_is_written()
    {
        using var box = Released("alpha");
        using var registry = new VerdaccioServer(box.Root);
        Assert.That(Publish(box, registry.Url, registry.Token).ExitCode, Is.Zero);
        var published = registry.Lookup("@btm/alpha", "0.1.0").Integrity;

        box.AddEchoer("beta");
        // Real code, not a comment: reproducible builds rightly give a comment-only edit the same bytes.
        File.AppendAllText(Path.Combine(box.Package("alpha"), "src", "main.c"), "int a_different_build_of_the_same_version = 42;\n");
        box.CommitAll();
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);
        var r = Publish(box, registry.Url, registry.Token);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain($"@btm/alpha-{Host}@0.1.0 is already published with integrity").And.Contain("versions are immutable"));
        Assert.That(registry.Lookup($"@btm/beta-{Host}", "0.1.0").Integrity, Is.Null, "nothing new is published");
        Assert.That(registry.Lookup("@btm/beta", "0.1.0").Integrity, Is.Null);
        Assert.That(registry.Lookup("@btm/alpha", "0.1.0").Integrity, Is.EqualTo(published));
    }

    [Test]
    public void A_bad_token_is_a_clear_error_and_nothing_is_published()
    {
        using var box = Released("alpha");
        using var registry = new VerdaccioServer(box.Root);
        var r = Publish(box, registry.Url, "not-a-real-token");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain($"{registry.Url} refused the credentials (NPM_TOKEN)").And.Contain("nothing was published"));
        Assert.That(r.Output, Does.Not.Contain("not-a-real-token"), "the token is never printed");
        foreach (var name in Names("alpha"))
            Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Null);
    }

    [Test]
    public void A_dead_registry_fails_the_preflight()
    {
        using var box = Released("alpha");
        var r = Publish(box, "http://127.0.0.1:9", "token");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Output, Does.Contain("preflight: http://127.0.0.1:9 does not answer").And.Contain("nothing was published"));
    }

    [Test]
    public void Dry_run_prints_the_plan_and_writes_nothing()
    {
        using var box = Released("alpha");
        using var registry = new VerdaccioServer(box.Root);
        var r = Publish(box, registry.Url, registry.Token, "--dry-run");
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("dry run: 2 package(s) would be published"));
        Assert.That(r.Output, Does.Contain($"would publish npm/btm-alpha-{Host}-0.1.0.tgz"));
        foreach (var name in Names("alpha"))
            Assert.That(registry.Lookup(name, "0.1.0").Integrity, Is.Null);
    }

    [Test]
    public void A_real_registry_refuses_an_unsigned_release_unless_allowed()
    {
        using var box = Released("alpha");
        using var registry = new VerdaccioServer(box.Root);
        var refused = box.RunWith(new Dictionary<string, string?> { ["NPM_TOKEN"] = registry.Token }, "--target=Publish", $"--registry={registry.Url}");
        Assert.That(refused.ExitCode, Is.EqualTo(1), "a release to a non-local registry must be signed");
        Assert.That(refused.Output, Does.Contain("unsigned").And.Contain("nothing was published"));
        Assert.That(registry.Lookup("@btm/alpha", "0.1.0").Integrity, Is.Null);
        Assert.That(Publish(box, registry.Url, registry.Token).ExitCode, Is.Zero, "--allow-unsigned lets it through");
    }

    [Test]
    public void Release_publishes_to_the_local_registry_and_Registry_serves_it_for_npm_install()
    {
        if (!File.Exists(Path.Combine(Sandbox.RepoRoot, "node_modules", ".bin", "verdaccio")))
            Assert.Ignore("verdaccio is not installed: run `npm ci` in the repo (test.sh does)");
        using var box = Released("alpha");
        box.AddReleaseTooling();
        var release = box.Run("--target=Release");
        Assert.That(release.ExitCode, Is.Zero, release.Output);
        Assert.That(release.Output, Does.Contain("released to http://127.0.0.1:").And.Contain("on latest: ").And.Contain("@btm/alpha@0.1.0"));
        Assert.That(File.Exists(Path.Combine(box.ReleaseDir, "Btm.Templates.0.1.0.nupkg")), Is.True, "the release carries the template package");
        var again = box.Run("--target=Publish");
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(again.Output, Does.Contain("0 to publish, 2 already published"), "the saved token and storage are reused");

        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Sandbox.HostDll, $"--root={box.Root}", "--target=Registry"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["BTM_REGISTRY_PORT"] = port.ToString();
        using var server = System.Diagnostics.Process.Start(start)!;
        try
        {
            ServeAndInstall(box, server, port);
        }
        finally
        {
            // Disposing a Process does not stop it: a failed assertion must not leave a registry running.
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
        }
    }

    private static void ServeAndInstall(Sandbox box, System.Diagnostics.Process server, int port)
    {
        server.ErrorDataReceived += (_, _) => { };
        server.BeginErrorReadLine();
        string? line;
        while ((line = server.StandardOutput.ReadLine()) is not null && !line.Contains("serving"))
        {
        }
        Assert.That(line, Does.Contain($"serving http://127.0.0.1:{port}"));
        // An empty project outside the sandbox: npm would otherwise join the sandbox's own package.json.
        var consumer = Path.Combine(Path.GetTempPath(), "btm-consumer-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "package.json"), "{\"name\": \"consumer\", \"version\": \"1.0.0\", \"private\": true}\n");
        var install = ProcessResult.Run("npm", ["install", "@btm/alpha", "--registry", $"http://127.0.0.1:{port}", "--no-audit", "--no-fund"], consumer);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        Assert.That(ProcessResult.Run(Path.Combine(consumer, "node_modules", ".bin", "alpha"), ["--version"], consumer).Stdout, Is.EqualTo("alpha 0.1.0\n"));

        Directory.Delete(consumer, recursive: true);
        var concurrent = box.Run("--target=Publish");
        Assert.That(concurrent.ExitCode, Is.EqualTo(1), concurrent.Output);
        Assert.That(concurrent.Output, Does.Contain("another BTM run is using the local registry"));

        System.Diagnostics.Process.Start("kill", ["-TERM", server.Id.ToString()])!.WaitForExit();
        Assert.That(server.WaitForExit(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(server.ExitCode, Is.Zero);
        using var http = new HttpClient();
        Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/-/ping"), "verdaccio stops with the Registry task");

        // What a verdaccio killed mid-write leaves: it would stall writes to @btm/alpha for five minutes.
        var stale = Path.Combine(box.Root, "artifacts", "registry", "storage", "@btm", "alpha", "package.json.lock");
        File.WriteAllText(stale, "");
        var after = box.Run("--target=Publish");
        Assert.That(after.ExitCode, Is.Zero, after.Output);
        Assert.That(after.Output, Does.Contain("removed storage/@btm/alpha/package.json.lock"));
        Assert.That(File.Exists(stale), Is.False);

        // A different build of the same version is refused, naming the local fix; Registry --reset empties it, then it publishes.
        File.AppendAllText(Path.Combine(box.Package("alpha"), "src", "main.c"), "int another_build_of_0_1_0 = 1;\n");
        Assert.That(box.Run("--target=Package").ExitCode, Is.Zero);
        var conflict = box.Run("--target=Publish");
        Assert.That(conflict.ExitCode, Is.EqualTo(1), conflict.Output);
        Assert.That(conflict.Output, Does.Contain("versions are immutable").And.Contain("./build.sh --target=Registry --reset empties it"));
        var reset = new System.Diagnostics.ProcessStartInfo("dotnet", [Sandbox.HostDll, $"--root={box.Root}", "--target=Registry", "--reset"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        reset.Environment["BTM_REGISTRY_PORT"] = port.ToString();
        using (var resetting = System.Diagnostics.Process.Start(reset)!)
        {
            var lines = new List<string>();
            string? said;
            while ((said = resetting.StandardOutput.ReadLine()) is not null && !said.Contains("serving"))
                lines.Add(said);
            System.Diagnostics.Process.Start("kill", ["-TERM", resetting.Id.ToString()])!.WaitForExit();
            Assert.That(resetting.WaitForExit(TimeSpan.FromSeconds(20)), Is.True);
            Assert.That(string.Join("\n", lines), Does.Contain("emptied the local registry (2 package(s) removed from artifacts/registry/storage)"));
        }
        var republished = box.Run("--target=Publish");
        Assert.That(republished.ExitCode, Is.Zero, republished.Output);
        Assert.That(republished.Output, Does.Contain("2 to publish, 0 already published"));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using static Btm.Build.Tests.McpDriver;

namespace Btm.Build.Tests;

/// <summary>
/// `btm mcp` with real clients: the TypeScript SDK's client (tests/Btm.Build.Tests/mcp-client.mjs)
/// and the MCP Inspector's CLI. Builds run as child processes of the server in a sandbox repo.
/// </summary>
public class McpServiceTests
{
    private static void RequireClients()
    {
        McpDriver.RequireClients();
        Sandbox.RequireTools("cc");
    }

    /// <summary>Runs the steps through the TypeScript SDK's client; one result per step.</summary>
    private static JsonArray Client(Sandbox box, params object[] steps) => McpDriver.Client(box, Server(box), null, steps);

    [Test]
    public void The_inspector_CLI_lists_every_tool_with_its_schema()
    {
        RequireClients();
        var inspector = Path.Combine(Sandbox.RepoRoot, "node_modules", ".bin", "mcp-inspector");
        if (!File.Exists(inspector))
            Assert.Ignore("@modelcontextprotocol/inspector is not installed: run `npm ci`");
        using var box = new Sandbox();
        var r = ProcessResult.Run(inspector, ["--cli", .. Server(box), "--method", "tools/list"], box.Root, timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.Zero, r.Output);
        var tools = JsonNode.Parse(r.Stdout)!["tools"]!.AsArray();
        Assert.That(tools.Select(t => S(t!["name"])), Is.EquivalentTo(new[]
        {
            "trigger_build", "get_build_status", "get_build_log", "cancel_build", "list_builds", "list_components", "list_component_types", "synthesize_code_component",
        }));
        Assert.That(tools.Select(t => S(t!["description"])), Has.All.Length.GreaterThan(30), "each tool says what it does");
        var trigger = tools.Single(t => S(t!["name"]) == "trigger_build")!["inputSchema"]!["properties"]!.AsObject();
        Assert.That(trigger.Select(p => p.Key), Is.SupersetOf(new[] { "task", "packages", "platforms", "mode", "force", "dry_run" }));
    }

    [Test]
    public void A_build_is_followed_to_success_a_broken_one_to_failure_with_the_compiler_error_and_its_log_is_a_resource()
    {
        RequireClients();
        using var box = new Sandbox();
        box.AddEchoer("good");
        box.AddMakePackage("broken", code: "return undefined_symbol_here;");
        box.CommitAll();
        var r = Client(box,
            Tool("list_components"),
            Tool("trigger_build", new { task = "Build", packages = new[] { "good" } }),
            new { poll = "$1.build_id" },
            Tool("trigger_build", new { task = "Build", packages = new[] { "broken" } }),
            new { poll = "$3.build_id" },
            new { resource = "$2.log_resource" },
            Tool("get_build_log", new { build_id = "$3.build_id", offset = 0, limit = 5 }),
            Tool("list_builds"),
            new { resource = "$4.log_resource" });
        Assert.That(r[0]!.AsArray().Select(c => S(c!["name"])), Is.EquivalentTo(new[] { "good", "broken" }));
        Assert.That(S(r[1]!["state"]), Is.EqualTo("QUEUED"), "trigger_build answers at once");

        var ok = r[2]!;
        Assert.That(S(ok["state"]), Is.EqualTo("COMPLETED_SUCCESS"), ok.ToJsonString());
        Assert.That(ok["seen_states"]!.AsArray().Select(S).Last(), Is.EqualTo("COMPLETED_SUCCESS"));
        Assert.That(ok["artifacts"]!.AsArray().Select(S), Has.Some.EndsWith("/out/Final/good"));
        Assert.That(ok["summary"]!.AsArray().Select(s => S(s!["outcome"])), Is.Not.Empty.And.All.EqualTo("built"));
        Assert.That(ok["started"], Is.Not.Null);
        Assert.That(ok["ended"], Is.Not.Null);
        var artifact = S(ok["artifacts"]![0]);
        Assert.That(ProcessResult.Run(artifact, ["--version"], box.Root).Stdout, Is.EqualTo("good 0.1.0\n"));

        var failed = r[4]!;
        Assert.That(S(failed["state"]), Is.EqualTo("COMPLETED_FAILURE"));
        // stdout and stderr interleave in the log, so only the service's own last line has a fixed place.
        Assert.That(failed["log_tail"]!.AsArray().Select(S).Last(), Is.EqualTo("[btm mcp] exit 1; 0 artifact path(s)"), "the log's tail says the build failed");
        Assert.That(S(r[8]!["text"]), Does.Match("error: .*'undefined_symbol_here'"), "the compiler's error is in the log");
        Assert.That(S(r[5]!["text"]), Does.Contain("==> Compile").And.Contain("success good"));
        Assert.That(r[6]!["lines"]!.AsArray(), Has.Count.EqualTo(5));
        Assert.That(r[6]!["next_offset"]!.GetValue<int>(), Is.EqualTo(5));
        Assert.That(r[7]!.AsArray().Select(b => S(b!["build_id"])), Is.EqualTo(new[] { S(r[3]!["build_id"]), S(r[1]!["build_id"]) }));
    }

    private static bool SleepRunning(Sandbox box) =>
        Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Any(c =>
        {
            try { return File.ReadAllText(c).StartsWith("sleep\u0000300", StringComparison.Ordinal) && File.ReadAllText(Path.Combine(Path.GetDirectoryName(c)!, "environ")).Contains(box.Root, StringComparison.Ordinal); }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        });

    [Test]
    public void Cancel_ends_the_process_tree_and_a_restarted_server_marks_a_running_build_interrupted()
    {
        RequireClients();
        using var box = new Sandbox();
        AddSleeper(box);
        box.CommitAll();
        var r = Client(box,
            Tool("trigger_build", new { packages = new[] { "sleeper" } }),
            new { wait_for_state = "$0.build_id", state = "RUNNING", step_contains = "Compile" },
            Tool("cancel_build", new { build_id = "$0.build_id" }),
            Tool("trigger_build", new { packages = new[] { "sleeper" } }),
            new { wait_for_state = "$3.build_id", state = "RUNNING", step_contains = "Compile" },
            new { kill_server = true },
            Tool("get_build_status", new { build_id = "$3.build_id" }));
        Assert.That(S(r[2]!["state"]), Is.EqualTo("CANCELLED"), r[2]!.ToJsonString());
        var restarted = r[6]!;
        Assert.That(S(restarted["state"]), Is.EqualTo("INTERRUPTED"), restarted.ToJsonString());
        Assert.That(string.Join("\n", restarted["log_tail"]!.AsArray().Select(S)), Does.Contain("is gone; it was RUNNING"));
        Thread.Sleep(500);
        Assert.That(SleepRunning(box), Is.False, "no build process outlives its cancel or its server");
    }

    [Test]
    public void A_component_is_synthesized_built_and_released_to_the_local_registry_and_bad_names_write_nothing()
    {
        RequireClients();
        Sandbox.RequireTools("cmake", "npm");
        using var box = new Sandbox();
        box.AddReleaseTooling();
        box.CommitAll();
        var r = Client(box,
            Tool("list_component_types"),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "made-by-agent", options = new { builder = "make", description = "made over MCP", targets = Sandbox.Host } }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "made-by-agent" }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "../escape" }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "Capital" }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "con" }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "fine", output_folder = "../outside" }),
            Tool("synthesize_code_component", new { component_type = "no-such-type", name = "fine" }),
            Tool("trigger_build", new { task = "Release", packages = new[] { "made-by-agent" } }),
            new { poll = "$8.build_id" });
        Assert.That(S(r[0]!.AsArray()[0]!["type"]), Is.EqualTo("btm-package"));
        Assert.That(r[1]!["files"]!.AsArray().Select(S), Has.Some.EqualTo("packages/made-by-agent/btm.json").And.Some.EqualTo("packages/made-by-agent/Makefile"));
        Assert.That(S(r[2]!["error"]), Does.Contain("is not empty: nothing was written"));
        Assert.That(S(r[3]!["error"]), Does.Contain("must not contain '..'"));
        Assert.That(S(r[4]!["error"]), Does.Contain("must be lowercase"));
        Assert.That(S(r[5]!["error"]), Does.Contain("reserved word"));
        Assert.That(S(r[6]!["error"]), Does.Contain("leaves the repo"));
        Assert.That(S(r[7]!["error"]), Does.Contain("is not registered"));
        Assert.That(Directory.GetDirectories(box.Package("")).Select(Path.GetFileName), Is.EqualTo(new[] { "made-by-agent" }), "refused calls wrote nothing");
        Assert.That(Directory.Exists(Path.Combine(box.Root, "..", "outside")), Is.False);

        var release = r[9]!;
        Assert.That(S(release["state"]), Is.EqualTo("COMPLETED_SUCCESS"), string.Join("\n", release["log_tail"]!.AsArray().Select(S)));
        Assert.That(release["artifacts"]!.AsArray().Select(S), Has.Some.EndsWith("artifacts/0.1.0"));
        var log = File.ReadAllText(Path.Combine(box.Root, ".btm", "service", "builds", S(r[8]!["build_id"]) + ".log"));
        Assert.That(log, Does.Contain("released to").And.Contain("@btm/made-by-agent@0.1.0"));
    }

    [Test]
    public void Over_streamable_HTTP_a_client_with_the_token_builds_and_one_without_is_refused()
    {
        RequireClients();
        using var box = new Sandbox();
        box.AddEchoer("web");
        box.CommitAll();
        var port = VerdaccioServer.FreePort();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { McpDriver.Cli, "mcp", "--root", box.Root, "--host", Sandbox.HostDll, "--http", $"127.0.0.1:{port}" })
            start.ArgumentList.Add(a);
        start.Environment["BTM_MCP_TOKEN"] = "test-token-0123456789abcdef0123456789";
        using var server = System.Diagnostics.Process.Start(start)!;
        try
        {
            var ready = server.StandardError.ReadLine();
            Assert.That(ready, Does.Contain($"serving http://127.0.0.1:{port}/mcp"));
            var url = $"http://127.0.0.1:{port}/mcp";
            var r = McpDriver.Client(box, [url], "test-token-0123456789abcdef0123456789", new { list_tools = true }, Tool("trigger_build", new { packages = new[] { "web" } }), new { poll = "$1.build_id" });
            Assert.That(r[0]!.AsArray(), Has.Count.EqualTo(8));
            Assert.That(S(r[2]!["state"]), Is.EqualTo("COMPLETED_SUCCESS"));
            using var http = new HttpClient();
            var anonymous = http.PostAsync(url, new StringContent("{}", System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
            Assert.That((int)anonymous.StatusCode, Is.EqualTo(401));
            using var wrong = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "test-token-0123456789abcdef012345678");
            Assert.That((int)http.Send(wrong).StatusCode, Is.EqualTo(401));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
        var remote = ProcessResult.Run("dotnet", [McpDriver.Cli, "mcp", "--root", box.Root, "--http", "0.0.0.0:1"], box.Root);
        Assert.That(remote.ExitCode, Is.EqualTo(2));
        Assert.That(remote.Output, Does.Contain("not a loopback address").And.Contain("--allow-remote"));
    }

    [Test]
    public void Twenty_concurrent_triggers_queue_and_all_finish()
    {
        RequireClients();
        using var box = new Sandbox();
        box.AddEchoer("quick");
        box.CommitAll();
        var triggers = Enumerable.Range(0, 20).Select(_ => Tool("trigger_build", new { packages = new[] { "quick" } })).ToArray();
        var polls = Enumerable.Range(0, 20).Select(i => (object)new { poll = $"$0.{i}.build_id" }).ToArray();
        var r = Client(box, new { parallel = triggers }, new { parallel = polls });
        var ids = r[0]!.AsArray().Select(t => S(t!["build_id"])).ToList();
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Has.Count.EqualTo(20));
        Assert.That(r[1]!.AsArray().Select(p => S(p!["state"])), Has.Exactly(20).EqualTo("COMPLETED_SUCCESS"));
        // One clone, one build at a time: no two runs overlap.
        var spans = r[1]!.AsArray().Select(p => (Start: DateTimeOffset.Parse(S(p!["started"])), End: DateTimeOffset.Parse(S(p["ended"])))).OrderBy(s => s.Start).ToList();
        for (var i = 1; i < spans.Count; i++)
            Assert.That(spans[i].Start, Is.GreaterThanOrEqualTo(spans[i - 1].End), "builds of one clone never run at once");
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using static Btm.Build.Tests.McpDriver;

namespace Btm.Build.Tests;

/// <summary>
/// `btm mcp` as an attacker and a careless agent drive it, through the TypeScript SDK's client:
/// nothing is read or written outside the repo, hostile values stay data, inputs are bounded,
/// builds never overlap in one clone however many instances run, every state ends, HTTP refuses
/// what is not its own.
/// </summary>
public class McpHardeningTests
{
    private const string Token = "a-test-token-of-forty-bytes-0123456789ab";

    private static JsonArray Client(Sandbox box, params object[] steps) => McpDriver.Client(box, Server(box), null, steps);

    [Test]
    public void Hostile_option_values_stay_data_and_the_btm_json_written_is_always_valid()
    {
        RequireClients();
        using var box = new Sandbox();
        box.AddReleaseTooling();
        box.CommitAll();
        var secret = box.Write("../secret-" + Guid.NewGuid().ToString("N")[..6] + ".txt", "TOP-SECRET-CONTENT\n");
        var description = $"@{secret} {{{{name}}}} line one\nline two\t\"]}} \\ \u0001 end";
        var r = Client(box,
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "hostile", options = new { builder = "make", description } }),
            Tool("list_components"),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "at-file", options = new { builder = "make", description = "@" + secret } }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "bad-targets", options = new { builder = "make", targets = "linux-x64\"], \"evil\": [\"" } }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "at-targets", options = new { builder = "make", targets = "@" + secret } }));
        Assert.That(r[0]!["error"], Is.Null, r[0]!.ToJsonString());
        var listed = r[1]!.AsArray().Single(c => S(c!["name"]) == "hostile")!;
        Assert.That(S(listed["description"]), Is.EqualTo(description), "the value went in as data, byte for byte");
        Assert.That(JsonDocument.Parse(File.ReadAllText(Path.Combine(box.Package("hostile"), "btm.json"))).RootElement.GetProperty("description").GetString(), Is.EqualTo(description));
        Assert.That(S(r[2]!["error"]), Is.Empty, r[2]!.ToJsonString());
        Assert.That(File.ReadAllText(Path.Combine(box.Package("at-file"), "btm.json")), Does.Not.Contain("TOP-SECRET"), "an @file value is never read as a response file");
        foreach (var refused in new[] { r[3]!, r[4]! })
        {
            Assert.That(S(refused["error"]), Does.Contain("the template rendered an invalid btm.json").And.Contain("nothing was written"), refused.ToJsonString());
            Assert.That(S(refused["error"]), Does.Not.Contain("TOP-SECRET"));
        }
        Assert.That(Directory.Exists(box.Package("bad-targets")) || Directory.Exists(box.Package("at-targets")), Is.False);
        Assert.That(Directory.GetDirectories(Path.Combine(box.Root, ".btm", "tmp")), Is.Empty, "no staging folder is left");
    }

    [Test]
    public void A_symlink_planted_at_any_level_of_the_output_path_is_refused_and_nothing_lands_outside()
    {
        RequireClients();
        using var box = new Sandbox();
        var outside = Path.Combine(Path.GetTempPath(), "btm-outside-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outside);
        try
        {
            Directory.CreateDirectory(Path.Combine(box.Root, "deep", "a"));
            Directory.CreateSymbolicLink(Path.Combine(box.Root, "deep", "a", "b"), outside);
            Directory.CreateSymbolicLink(Path.Combine(box.Root, "top"), outside);
            Directory.CreateSymbolicLink(box.Package("planted"), outside);
            box.AddReleaseTooling();
            box.CommitAll();
            var r = Client(box,
                Tool("synthesize_code_component", new { component_type = "btm-package", name = "planted" }),
                Tool("synthesize_code_component", new { component_type = "btm-package", name = "planted", overwrite = true }),
                Tool("synthesize_code_component", new { component_type = "btm-package", name = "x1", output_folder = "top" }),
                Tool("synthesize_code_component", new { component_type = "btm-package", name = "x2", output_folder = "top/sub" }),
                Tool("synthesize_code_component", new { component_type = "btm-package", name = "x3", output_folder = "deep/a/b/c" }));
            foreach (var refused in r)
                Assert.That(S(refused!["error"]), Does.Contain("symbolic link").And.Contain("leaves the repo"), refused!.ToJsonString());
            Assert.That(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories), Is.Empty, "nothing was written outside the repo");

            // The packages folder itself a link: every component path goes through it.
            Directory.Delete(box.Package("planted"));
            var packages = Path.Combine(box.Root, "packages");
            Directory.Delete(packages, recursive: true);
            Directory.CreateSymbolicLink(packages, outside);
            var whole = Client(box, Tool("synthesize_code_component", new { component_type = "btm-package", name = "through" }));
            Assert.That(S(whole[0]!["error"]), Does.Contain("symbolic link packages"), whole[0]!.ToJsonString());
            Assert.That(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories), Is.Empty);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Test]
    public void Overwrite_never_crosses_into_another_component_and_reports_only_what_it_wrote()
    {
        RequireClients();
        using var box = new Sandbox("bin-stub");
        box.AddReleaseTooling();
        box.CommitAll();
        var stubJson = File.ReadAllText(Path.Combine(box.Package("bin-stub"), "btm.json"));
        var r = Client(box,
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "intruder", output_folder = "packages/bin-stub", overwrite = true }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "intruder", output_folder = "packages/bin-stub/src/inner", overwrite = true }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "mine", options = new { builder = "make" } }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "mine", options = new { builder = "make" }, overwrite = true }));
        Assert.That(S(r[0]!["error"]), Does.Contain("the component 'bin-stub'").And.Contain("nothing was written"), r[0]!.ToJsonString());
        Assert.That(S(r[1]!["error"]), Does.Contain("the component 'bin-stub'"), r[1]!.ToJsonString());
        Assert.That(File.ReadAllText(Path.Combine(box.Package("bin-stub"), "btm.json")), Is.EqualTo(stubJson));
        // Its own folder, again: the files it wrote, each of them there, no others.
        File.WriteAllText(Path.Combine(box.Package("mine"), "notes.txt"), "mine, kept\n");
        var files = r[3]!["files"]!.AsArray().Select(S).ToList();
        Assert.That(files, Is.EquivalentTo(r[2]!["files"]!.AsArray().Select(S)));
        Assert.That(files, Has.None.Contains("notes.txt"));
        Assert.That(files.Select(f => File.Exists(Path.Combine(box.Root, f))), Is.Not.Empty.And.All.True);
    }

    [Test]
    public void Wrong_types_and_oversized_values_are_refused_naming_the_argument_and_the_server_stays_small()
    {
        RequireClients();
        using var box = new Sandbox();
        box.AddEchoer("tiny");
        box.CommitAll();
        var huge = $"$big:{25 * 1024 * 1024}";
        var oversized = Enumerable.Range(0, 16).Select(_ => Tool("synthesize_code_component", new { component_type = "btm-package", name = huge })).ToArray();
        var r = Client(box,
            Tool("trigger_build", new { packages = new string?[] { null } }),
            Tool("trigger_build", new { force = "str" }),
            Tool("trigger_build", new { packages = new[] { "tiny" }, nonsense = 1 }),
            Tool("synthesize_code_component", new { component_type = "btm-package", name = "big-description", options = new { description = $"$big:{512 * 1024}" } }),
            Tool("get_build_status", new { build_id = "$big:100000" }),
            new { parallel = oversized },
            new { server_rss = true });
        Assert.That(S(r[0]!["error"]), Does.Contain("argument 'packages'[0]: null; give a string"));
        Assert.That(S(r[1]!["error"]), Does.Contain("argument 'force': a string; give true or false"));
        Assert.That(S(r[2]!["error"]), Does.Contain("argument 'nonsense' is unknown; trigger_build takes: task, packages"));
        Assert.That(S(r[3]!["error"]), Does.Contain("option 'description'").And.Contain("(524288 characters)' is longer than 1024 characters"));
        Assert.That(S(r[4]!["error"]), Does.Contain("build_id: no build 'aaaa").And.Contain("(100000 characters)"));
        foreach (var refusal in r[5]!.AsArray())
        {
            // Over stdio a message over 1 MiB is never read whole: refused by its size, naming the tool.
            Assert.That(S(refusal!["error"]), Does.Match(@"synthesize_code_component: the request was 262\d{5} bytes; a call may be at most 1048576"));
            Assert.That(S(refusal!["error"]).Length, Is.LessThan(300), "a refusal quotes a short prefix, never the input");
        }
        var rss = r[6]!["rss_kib"]!.GetValue<long>();
        TestContext.Progress.WriteLine($"server RSS after 16 requests of 25 MB: {rss / 1024} MiB");
        Assert.That(rss, Is.LessThan(300 * 1024), "the server's memory after 16 oversized requests");
    }

    /// <summary>A package whose every build appends its [start, end] to a file beside the repo, then takes a moment.</summary>
    private static string AddStamp(Sandbox box)
    {
        var spans = Path.Combine(box.Root, "..", Path.GetFileName(box.Root) + "-spans.txt");
        box.Write("packages/stamp/btm.json", """{ "name": "stamp", "description": "records when it builds", "builder": "make", "binaries": ["stamp"], "test": false }""");
        box.Write("packages/stamp/Makefile",
            $"all:\n\tstart=$$(date +%s%N); sleep 0.3; $(CC) -o $(BTM_OUT_DIR)/stamp$(BTM_EXE_SUFFIX) main.c; echo \"$$start $$(date +%s%N)\" >> '{spans}'\n");
        box.Write("packages/stamp/main.c", "int main(void) { return 0; }\n");
        return spans;
    }

    [Test]
    public void Two_service_instances_and_a_command_line_build_on_one_clone_never_overlap_and_none_is_killed()
    {
        RequireClients();
        using var box = new Sandbox();
        var spans = AddStamp(box);
        box.CommitAll();
        try
        {
            object[] Steps() =>
            [
                new { parallel = Enumerable.Range(0, 10).Select(_ => Tool("trigger_build", new { packages = new[] { "stamp" }, force = true })).ToArray() },
                new { parallel = Enumerable.Range(0, 10).Select(i => (object)new { poll = $"$0.{i}.build_id" }).ToArray() },
            ];
            var first = Task.Run(() => Drive(box, Server(box), Steps()));
            var second = Task.Run(() => Drive(box, Server(box), Steps()));
            Thread.Sleep(1500);
            var cli = box.Run("--target=Build", "--package=stamp", "--force");
            Assert.That(cli.ExitCode, Is.Zero, cli.Output);
            foreach (var run in new[] { first.Result, second.Result })
            {
                Assert.That(run.ExitCode, Is.Zero, run.Output[..Math.Min(3000, run.Output.Length)]);
                var polls = JsonNode.Parse(run.Stdout.Trim().Split('\n').Last())!.AsArray()[1]!.AsArray();
                Assert.That(polls.Select(p => S(p!["state"])), Has.Exactly(10).EqualTo("COMPLETED_SUCCESS"), string.Join("\n", polls.Select(p => p!.ToJsonString())));
            }
            var intervals = File.ReadAllLines(spans).Select(l => l.Split(' ').Select(long.Parse).ToArray()).OrderBy(s => s[0]).ToList();
            Assert.That(intervals, Has.Count.EqualTo(21), "20 service builds and the command-line one, each compiled once");
            for (var i = 1; i < intervals.Count; i++)
                Assert.That(intervals[i][0], Is.GreaterThanOrEqualTo(intervals[i - 1][1]), $"build {i} started before build {i - 1} ended");
        }
        finally
        {
            File.Delete(spans);
        }
    }

    [Test]
    public void Cancel_answers_at_once_in_every_state_and_a_client_leaving_mid_build_ends_it_interrupted_with_the_reason()
    {
        RequireClients();
        using var box = new Sandbox();
        AddSleeper(box);
        box.AddEchoer("quick");
        box.CommitAll();
        // A command-line run holds the clone: the service's builds stay queued behind it.
        var holder = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Sandbox.HostDll, $"--root={box.Root}", "--target=Build", "--package=sleeper" })
            holder.ArgumentList.Add(a);
        using var cli = System.Diagnostics.Process.Start(holder)!;
        try
        {
            Thread.Sleep(3000);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var r = Client(box,
                Tool("trigger_build", new { packages = new[] { "quick" } }),
                Tool("get_build_status", new { build_id = "$0.build_id" }),
                Tool("cancel_build", new { build_id = "$0.build_id" }));
            Assert.That(S(r[1]!["state"]), Is.EqualTo("QUEUED"), "waiting for the clone the command line holds");
            Assert.That(S(r[2]!["state"]), Is.EqualTo("CANCELLED"), r[2]!.ToJsonString());
            Assert.That(S(r[2]!["reason"]), Does.Contain("before it ran"));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            cli.Kill(entireProcessTree: true);
            cli.WaitForExit();
        }

        var left = Client(box,
            Tool("trigger_build", new { packages = new[] { "sleeper" } }),
            new { wait_for_state = "$0.build_id", state = "RUNNING", step_contains = "Compile" },
            new { close_client = true },
            Tool("get_build_status", new { build_id = "$0.build_id" }));
        var after = left[3]!;
        Assert.That(S(after["state"]), Is.EqualTo("INTERRUPTED"), after.ToJsonString());
        Assert.That(S(after["reason"]), Is.EqualTo("the service stopped while it ran"), "written by the server that stopped, not guessed by the next one");
        Assert.That(string.Join("\n", after["log_tail"]!.AsArray().Select(S)), Does.Contain("INTERRUPTED: the service stopped"));
    }

    [Test]
    public void Over_HTTP_foreign_hosts_and_origins_short_tokens_and_mapped_addresses_are_handled()
    {
        RequireClients();
        using var box = new Sandbox();
        box.CommitAll();
        var shortToken = ProcessResult.Run("dotnet", [McpDriver.Cli, "mcp", "--root", box.Root, "--http", "127.0.0.1:1"], box.Root,
            new Dictionary<string, string?> { ["BTM_MCP_TOKEN"] = "x" });
        Assert.That(shortToken.ExitCode, Is.EqualTo(2));
        Assert.That(shortToken.Output, Does.Contain("BTM_MCP_TOKEN is 1 bytes; a token must be at least 32"));

        var port = VerdaccioServer.FreePort();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { McpDriver.Cli, "mcp", "--root", box.Root, "--host", Sandbox.HostDll, "--http", $"[::ffff:127.0.0.1]:{port}" })
            start.ArgumentList.Add(a);
        start.Environment["BTM_MCP_TOKEN"] = Token;
        using var server = System.Diagnostics.Process.Start(start)!;
        try
        {
            var ready = server.StandardError.ReadLine();
            Assert.That(ready, Does.Contain($"serving http://127.0.0.1:{port}/mcp"), "an IPv4-mapped address is served as the IPv4 one");
            var url = $"http://127.0.0.1:{port}/mcp";
            var ok = Drive(box, [url], [new { list_tools = true }], Token);
            Assert.That(ok.ExitCode, Is.Zero, ok.Output);
            using var http = new HttpClient();
            HttpResponseMessage Send(string? host, string? origin)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                if (host is not null)
                    request.Headers.Host = host;
                if (origin is not null)
                    request.Headers.Add("Origin", origin);
                return http.Send(request);
            }
            Assert.That((int)Send("evil.example:80", null).StatusCode, Is.EqualTo(403), "a rebound name in Host");
            Assert.That((int)Send(null, "http://evil.example").StatusCode, Is.EqualTo(403), "a foreign page's Origin");
            Assert.That((int)Send($"localhost:{port}", $"http://localhost:{port}").StatusCode, Is.Not.EqualTo(403), "its own names pass");
            using var big = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(new string('x', 2 << 20), System.Text.Encoding.UTF8, "application/json") };
            big.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            big.Headers.Accept.ParseAdd("application/json, text/event-stream");
            Assert.That((int)http.Send(big).StatusCode, Is.EqualTo(413), "a body over 1 MiB is refused unread");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }
}

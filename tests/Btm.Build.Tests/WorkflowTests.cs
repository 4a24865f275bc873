using System.Reflection;
using System.Text.RegularExpressions;
using Btm.Build.Host;

namespace Btm.Build.Tests;

/// <summary>
/// The GitHub workflows: valid to a real validator, no build logic in YAML, secrets only where
/// needed, and each leg's exact command run here for the legs this machine can run.
/// </summary>
[Order(2)]
public partial class WorkflowTests
{
    private static readonly string Workflows = Path.Combine(Sandbox.RepoRoot, ".github", "workflows");

    private static IEnumerable<string> Files() => Directory.GetFiles(Workflows, "*.yml").Order(StringComparer.Ordinal);

    [GeneratedRegex(@"^\s*(?:-\s+)?run:\s*(.*)$")]
    private static partial Regex RunLine();

    // One entry point, one task, options only: `./build.sh --target=Test --platform=${{ matrix.platforms }}`.
    [GeneratedRegex(@"^\./build\.(sh|ps1) --target=(\w+)((?: --[a-z-]+(?:=\S+)?)*)$")]
    private static partial Regex CakeTask();

    [GeneratedRegex(@"^\s*(?:-\s+)?uses:\s*(\S+)$")]
    private static partial Regex UsesLine();

    private static List<(string File, int Line, string Command)> RunSteps() =>
        Files().SelectMany(f => File.ReadAllLines(f).Select((text, i) => (Path.GetFileName(f), i + 1, RunLine().Match(text))))
            .Where(x => x.Item3.Success).Select(x => (x.Item1, x.Item2, x.Item3.Groups[1].Value.Trim())).ToList();

    [Test]
    public void The_workflows_validate_with_action_validator_which_refuses_a_broken_one()
    {
        var validator = Path.Combine(Sandbox.RepoRoot, "node_modules", ".bin", "action-validator");
        if (!File.Exists(validator))
            Assert.Ignore("@action-validator/cli is not installed: run `npm ci` (test.sh does)");
        Assert.That(Files().Select(Path.GetFileName), Is.EquivalentTo(new[] { "build.yml", "release.yml", "verify.yml" }));
        foreach (var file in Files())
        {
            var r = ProcessResult.Run(validator, [file], Sandbox.RepoRoot);
            Assert.That(r.ExitCode, Is.Zero, $"{file}: {r.Output}");
        }
        var broken = Path.Combine(Path.GetTempPath(), $"btm-broken-{Guid.NewGuid():N}.yml");
        File.WriteAllText(broken, File.ReadAllText(Path.Combine(Workflows, "release.yml")).Replace("runs-on:", "run-on:"));
        try
        {
            var r = ProcessResult.Run(validator, [broken], Sandbox.RepoRoot);
            Assert.That(r.ExitCode, Is.Not.Zero);
            Assert.That(r.Output, Does.Contain("run-on"));
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Test]
    public void Every_run_step_is_one_Cake_task_and_actions_secrets_and_permissions_are_least_privilege()
    {
        var tasks = typeof(BuildContext).Assembly.GetTypes().Select(t => t.GetCustomAttribute<TaskNameAttribute>()?.Name).OfType<string>().ToHashSet();
        var steps = RunSteps();
        Assert.That(steps, Has.Count.GreaterThanOrEqualTo(8));
        foreach (var (file, line, command) in steps)
        {
            var match = CakeTask().Match(Regex.Replace(command, @"\$\{\{[^}]*\}\}", "EXPR"));
            Assert.That(match.Success, Is.True, $"{file}:{line}: `{command}` is not one Cake task (./build.sh|./build.ps1 --target=<Task> --option…)");
            Assert.That(tasks, Does.Contain(match.Groups[2].Value), $"{file}:{line}: no task {match.Groups[2].Value}");
        }
        Assert.That(steps.Select(s => Regex.Match(s.Command, @"--target=(\w+)").Groups[1].Value).Distinct().Order(),
            Is.EqualTo(new[] { "Assemble", "Package", "Publish", "Test", "Verify" }));

        foreach (var file in Files())
        {
            var text = File.ReadAllLines(file);
            Assert.That(text, Has.Some.EqualTo("permissions:"), $"{file}: workflow-level permissions");
            Assert.That(text.Where(l => Regex.IsMatch(l, @"^\s+[a-z-]+:\s*write\s*$")), Is.Empty, $"{file}: nothing writes to the repository");
            foreach (var uses in text.Select(l => UsesLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value))
                Assert.That(uses, Does.Match(@"^[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}$"), $"{file}: {uses} is pinned to a version");
        }
        // Secrets reach only the step that needs them; the publishing job waits for its environment's reviewers.
        var release = File.ReadAllText(Path.Combine(Workflows, "release.yml"));
        Assert.That(Regex.Matches(release, @"secrets\.NPM_TOKEN").Count, Is.EqualTo(1));
        Assert.That(Regex.IsMatch(release, @"NPM_TOKEN: \$\{\{ secrets\.NPM_TOKEN \}\}\n\s+run: \./build\.sh --target=Publish"), Is.True);
        Assert.That(Regex.IsMatch(release, @"BTM_SIGNING_KEY: \$\{\{ secrets\.BTM_SIGNING_KEY \}\}\n\s+run: \./build\.sh --target=Assemble"), Is.True);
        Assert.That(release, Does.Contain("    environment: npm\n"));
        foreach (var secret in new[] { "BTM_AUTHENTICODE_CERT_BASE64", "BTM_AUTHENTICODE_PASSWORD" })
            Assert.That(Regex.Matches(release, $@"{secret}: \$\{{\{{ matrix\.leg == 'win32-cross' && secrets\.{secret} \|\| '' \}}\}}").Count, Is.EqualTo(1),
                $"{secret} reaches the win32 leg only");
        foreach (var secret in new[] { "BTM_APPLE_CERT_BASE64", "BTM_APPLE_CERT_PASSWORD", "BTM_APPLE_NOTARY_KEY_BASE64", "BTM_APPLE_NOTARY_KEY_ID", "BTM_APPLE_NOTARY_ISSUER" })
        {
            Assert.That(Regex.Matches(release, $@"{secret}: \$\{{\{{ matrix\.leg == 'macos' && secrets\.{secret} \|\| '' \}}\}}").Count, Is.EqualTo(1),
                $"{secret} reaches the macos leg only");
            Assert.That(Regex.Matches(release, $@"secrets\.{secret}\b").Count, Is.EqualTo(1), $"{secret} is used once");
            Assert.That(typeof(Btm.Build.Release.AppleSigning).GetFields().Select(f => f.GetRawConstantValue()), Does.Contain(secret), $"Package reads {secret}");
        }
        Assert.That(release, Does.Contain("tags: [\"v*\"]"));
        var build = File.ReadAllText(Path.Combine(Workflows, "build.yml"));
        Assert.That(build, Does.Contain("BTM_REMOTE_CACHE_MODE: ${{ github.event_name == 'pull_request' && 'read' || 'readwrite' }}"),
            "pull requests never upload to the shared cache");
    }

    /// <summary>A workflow's matrix legs: leg, runner and platforms, in file order.</summary>
    private static List<(string Leg, string Os, string Platforms)> Legs(string file)
    {
        var legs = new List<(string, string, string)>();
        string? leg = null, os = null;
        foreach (var raw in File.ReadAllLines(Path.Combine(Workflows, file)))
        {
            var line = raw.Trim();
            if (line.StartsWith("- leg: ", StringComparison.Ordinal))
                leg = line["- leg: ".Length..];
            else if (line.StartsWith("os: ", StringComparison.Ordinal) && leg is not null)
                os = line["os: ".Length..];
            else if (line.StartsWith("platforms: ", StringComparison.Ordinal) && leg is not null && os is not null)
            {
                legs.Add((leg, os, line["platforms: ".Length..]));
                leg = os = null;
            }
        }
        return legs;
    }

    private static string[] Arguments(string command, string platforms) =>
        command.Replace("${{ matrix.platforms }}", platforms).Split(' ')[1..];

    [Test]
    public void The_release_legs_cover_each_platform_once_and_the_test_legs_cover_them_all()
    {
        var release = Legs("release.yml");
        var platforms = release.SelectMany(l => l.Platforms.Split(',')).ToList();
        Assert.That(platforms, Is.Unique, "Assemble refuses a platform from two legs");
        Assert.That(platforms, Is.EquivalentTo(Btm.Core.Platforms.PlatformId.ReleaseTargets.Select(p => p.ToString())));
        var tested = Legs("build.yml").SelectMany(l => l.Platforms.Split(',')).Distinct();
        Assert.That(tested, Is.EquivalentTo(platforms));
        Assert.That(Legs("build.yml").Select(l => l.Os), Has.Some.StartsWith("macos").And.Some.StartsWith("windows"));
    }

    [Test, Order(1)]
    public void The_Linux_legs_commands_run_here_as_CI_runs_them_and_the_release_job_assembles_and_verifies_them()
    {
        Sandbox.RequireTools("make", "cmake", "npm", "musl-gcc", "aarch64-linux-gnu-gcc", "qemu-aarch64", "x86_64-w64-mingw32-gcc");
        if (Sandbox.Host != "linux-x64")
            Assert.Ignore("the Linux legs run on linux-x64 runners");
        if (!File.Exists("/usr/lib/wine/wine64") && (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, "wine64"))))
            Assert.Ignore("wine64 is not installed (apt-get install wine64): the win32-cross leg runs its tests under it");
        using var box = new Sandbox("bin-stub", "binflate");
        box.AddReleaseTooling();
        box.CommitAll();
        var ci = new Dictionary<string, string?> { ["CI"] = "true" };
        var test = RunSteps().Single(s => s.File == "build.yml" && s.Command.StartsWith("./build.sh", StringComparison.Ordinal)).Command;
        var package = RunSteps().Single(s => s.File == "release.yml" && s.Command.Contains("--target=Package")).Command;
        var linux = Legs("build.yml").Where(l => l.Os.StartsWith("ubuntu", StringComparison.Ordinal)).ToList();
        Assert.That(linux, Has.Count.EqualTo(3));
        foreach (var (leg, _, platforms) in linux)
        {
            var run = box.RunWith(ci, Arguments(test, platforms));
            Assert.That(run.ExitCode, Is.Zero, $"{leg}: {run.Output}");
            foreach (var platform in platforms.Split(','))
                Assert.That(box.LastSummary().Where(s => s.Platform == platform && s.Stage == "test").Select(s => s.Outcome),
                    Has.Some.EqualTo("passed").And.None.EqualTo("skipped"), $"{leg} {platform}: its tests ran here");
        }

        // release.yml: each Linux leg packs, its artifacts/ lands in legs/leg-<name>/ as download-artifact puts it.
        foreach (var (leg, _, platforms) in Legs("release.yml").Where(l => l.Os.StartsWith("ubuntu", StringComparison.Ordinal)))
        {
            var run = box.RunWith(ci, Arguments(package, platforms));
            Assert.That(run.ExitCode, Is.Zero, $"{leg}: {run.Output}");
            var target = Path.Combine(box.Root, "legs", "leg-" + leg);
            Directory.CreateDirectory(target);
            Directory.Move(Path.Combine(box.Root, "artifacts"), Path.Combine(target, "artifacts-moved"));
            foreach (var version in Directory.GetDirectories(Path.Combine(target, "artifacts-moved")))
                Directory.Move(version, Path.Combine(target, Path.GetFileName(version)));
            Directory.Delete(Path.Combine(target, "artifacts-moved"));
        }
        // The signing key as a secret: in the environment, not in the checkout.
        Assert.That(box.Run("--target=KeyGen", "--signing-key=secrets/release.pem").ExitCode, Is.Zero);
        var key = File.ReadAllText(Path.Combine(box.Root, "secrets", "release.pem"));
        Directory.Delete(Path.Combine(box.Root, "secrets"), recursive: true);
        var env = new Dictionary<string, string?>(ci) { ["BTM_SIGNING_KEY"] = key, ["GITHUB_REF_TYPE"] = "tag", ["GITHUB_REF_NAME"] = "v0.1.0" };
        foreach (var target in new[] { "Assemble", "Verify" })
        {
            var command = RunSteps().First(s => s.File == "release.yml" && s.Command.Contains($"--target={target}")).Command;
            var run = box.RunWith(env, Arguments(command, ""));
            Assert.That(run.ExitCode, Is.Zero, $"{command}: {run.Output}");
            if (target == "Verify")
                Assert.That(run.Output, Does.Contain("linux-arm64 run under qemu-aarch64").And.Contain("win32-x64 run under wine").And.Contain("linux-x64-musl run natively"));
        }

        // The tag must name the version the legs built.
        env["GITHUB_REF_NAME"] = "v9.9.9";
        var wrongTag = box.RunWith(env, "--target=Assemble", "--legs=legs");
        Assert.That(wrongTag.ExitCode, Is.EqualTo(1));
        Assert.That(wrongTag.Output, Does.Contain("the tag v9.9.9 does not name the version the legs built (0.1.0"));
    }
}

using Btm.Core;
using System.Text.Json;
using System.Text.RegularExpressions;
using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>The node tools package-lock.json pins (verdaccio, ajv, zig), installed into the clone with `npm ci`.</summary>
public static partial class NodeTools
{
    /// <summary>
    /// What to install, with the oldest Node the repo's tools run on: package.json's engines.node,
    /// the one place that says it (test.sh reads it too). Debian 12's own nodejs is 18, older than
    /// verdaccio 6.8 declares and than the MCP inspector the tests drive runs on (it needs CustomEvent).
    /// </summary>
    public static string Advice(string repoRoot) =>
        FloorMajor(repoRoot) is { } floor ? $"install Node.js {floor} or later" : "install Node.js and npm";

    /// <summary>Runs `npm ci` in the repo; false (having said why) when node or npm is missing or too old, or npm fails.</summary>
    public static bool Install(BuildContext context)
    {
        if (!File.Exists(Path.Combine(context.RepoRoot, "package-lock.json")))
            return false;
        if (context.ToolLookup.Find("npm") is not { } npm || context.ToolLookup.Find("node") is not { } node)
        {
            context.Warn($"node and npm are needed to install the repo's node tools (package-lock.json): {Advice(context.RepoRoot)}");
            return false;
        }
        if (Problem(node, context.RepoRoot) is { } problem)
        {
            context.Fail(problem);
            return false;
        }
        context.Info("installing the repo's node tools (npm ci: package-lock.json)");
        var (exit, output) = ToolProbe.RunIn(context.RepoRoot, TimeSpan.FromMinutes(15), npm, "ci", "--no-audit", "--no-fund");
        if (exit != 0)
        {
            context.Fail($"npm ci failed: {output.Trim().Split('\n').LastOrDefault()}");
            return false;
        }
        return true;
    }

    /// <summary>Why <paramref name="node"/> cannot run the repo's node tools, or null when it can.</summary>
    public static string? Problem(string node, string repoRoot)
    {
        if (FloorMajor(repoRoot) is not { } floor)
            return null;
        var (exit, output) = ToolProbe.Run(node, "--version");
        var version = Version().Match(output);
        if (exit != 0 || !version.Success)
            return $"{node} --version did not print a version ({output.Trim()}): install Node.js {floor} or later";
        if (int.Parse(version.Groups[1].Value) >= floor)
            return null;
        var where = File.Exists(Path.Combine(repoRoot, ".ci", "install-node"))
            ? $"Debian 12's nodejs package is 18; .ci/install-node installs npm's pinned Node {floor} into /usr/local, and NodeSource's or nvm's works too"
            : $"Debian 12's nodejs package is 18; NodeSource's or nvm's Node {floor} works";
        return $"node {version.Value.TrimStart('v')} ({node}) is older than package.json's engines.node (>={floor}) allows: " +
            $"install Node.js {floor} or later ({where}) and run again";
    }

    /// <summary>The major version in package.json's engines.node (">=N"); null in a repo without node tools.</summary>
    private static int? FloorMajor(string repoRoot)
    {
        var file = Path.Combine(repoRoot, "package.json");
        if (!File.Exists(file))
            return null;
        string? range;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            range = json.RootElement.TryGetProperty("engines", out var engines) && engines.ValueKind == JsonValueKind.Object &&
                engines.TryGetProperty("node", out var node) && node.ValueKind == JsonValueKind.String ? node.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new BuildFailedException($"{file} is not valid JSON ({e.Message}): fix it, or `git checkout {file}`");
        }
        var match = Floor().Match(range ?? "");
        return match.Success ? int.Parse(match.Groups[1].Value)
            : throw new BuildFailedException($"{file}: engines.node must say the oldest Node the tools run on as \">=N\" (it says {range ?? "nothing"})");
    }

    [GeneratedRegex(@"^>=\s*(\d+)")]
    private static partial Regex Floor();

    [GeneratedRegex(@"v?(\d+)\.\d+\.\d+")]
    private static partial Regex Version();
}

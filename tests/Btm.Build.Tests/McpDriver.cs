using System.Text.Json;
using System.Text.Json.Nodes;

namespace Btm.Build.Tests;

/// <summary>
/// Drives `btm mcp` through the TypeScript SDK's client (mcp-client.mjs): the server's command
/// line, the steps, one result per step. Shared by the MCP test fixtures.
/// </summary>
public static class McpDriver
{
    private static readonly string Script = Path.Combine(Sandbox.RepoRoot, "tests", "Btm.Build.Tests", "mcp-client.mjs");

    public static readonly string Cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "btm.dll");

    public static void RequireClients()
    {
        Sandbox.RequireTools("node", "make");
        if (!Directory.Exists(Path.Combine(Sandbox.RepoRoot, "node_modules", "@modelcontextprotocol", "sdk")))
            Assert.Ignore("@modelcontextprotocol/sdk is not installed: run `npm ci` (test.sh does)");
    }

    public static string[] Server(Sandbox box) => ["dotnet", Cli, "mcp", "--root", box.Root, "--host", Sandbox.HostDll];

    /// <summary>Runs the steps against <paramref name="server"/> (a command line, or an http URL with <paramref name="token"/>).</summary>
    public static ProcessResult Drive(Sandbox box, string[] server, object[] steps, string? token = null)
    {
        var file = Path.Combine(box.Root, "..", $"steps-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(steps));
        try
        {
            return ProcessResult.Run("node", ["--max-old-space-size=4096", Script, file, "--", .. server], box.Root,
                new Dictionary<string, string?> { ["BTM_REPO"] = Sandbox.RepoRoot, ["BTM_MCP_TOKEN"] = token }, timeoutSeconds: 900);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The steps' results; the driver must have succeeded.</summary>
    public static JsonArray Client(Sandbox box, string[] server, string? token, params object[] steps)
    {
        var r = Drive(box, server, steps, token);
        Assert.That(r.ExitCode, Is.Zero, r.Output[..Math.Min(4000, r.Output.Length)]);
        return JsonNode.Parse(r.Stdout.Trim().Split('\n').Last())!.AsArray();
    }

    public static object Tool(string name, object? args = null) => new { tool = name, args = args ?? new { } };

    public static string S(JsonNode? node) => node?.GetValue<string>() ?? "";

    /// <summary>A package whose build sleeps until it is ended.</summary>
    public static void AddSleeper(Sandbox box)
    {
        box.Write("packages/sleeper/btm.json", """{ "name": "sleeper", "description": "a long build", "builder": "make", "binaries": ["sleeper"], "test": false }""");
        box.Write("packages/sleeper/Makefile", "all:\n\tsleep 300\n");
    }
}

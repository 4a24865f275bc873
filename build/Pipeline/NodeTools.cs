using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>The node tools package-lock.json pins (verdaccio, ajv, zig), installed into the clone with `npm ci`.</summary>
public static class NodeTools
{
    /// <summary>Runs `npm ci` in the repo; false (having said why) when npm is missing or fails.</summary>
    public static bool Install(BuildContext context)
    {
        if (!File.Exists(Path.Combine(context.RepoRoot, "package-lock.json")))
            return false;
        if (context.ToolLookup.Find("npm") is not { } npm)
        {
            context.Warn("npm is needed to install the repo's node tools (package-lock.json): install Node.js 18+");
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
}

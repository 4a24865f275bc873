using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Mcp;

/// <summary>
/// Renders the repo's templates (templates/&lt;type&gt;, `dotnet new` templates) into a checked
/// output folder: the name follows btm.json's rules, the folder stays inside the repo (under
/// packages/ by default), and existing files are never overwritten unless asked.
/// </summary>
public sealed class ComponentSynthesizer(string root)
{
    public sealed record ComponentType(
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("description")] string Description,
        [property: System.Text.Json.Serialization.JsonPropertyName("options")] IReadOnlyDictionary<string, string> Options);

    /// <summary>The registered templates, btm-package first.</summary>
    public IReadOnlyList<ComponentType> Types() =>
    [
        new("btm-package", "A C/C++ component with btm.json, a CMake or make build and a test (templates/btm-package)",
            new Dictionary<string, string>
            {
                ["description"] = "one line for npm and the README",
                ["builder"] = "cmake (default) or make",
                ["lang"] = "C (default) or C++",
                ["targets"] = "comma-separated platform ids, e.g. linux-x64,win32-x64 (default: every target)",
            }),
    ];

    private static readonly Dictionary<string, string> OptionFlags = new(StringComparer.Ordinal)
    {
        ["description"] = "--description", ["builder"] = "--builder", ["lang"] = "--lang", ["targets"] = "--targets",
    };

    /// <summary>Writes the component; returns the files written, relative to the repo.</summary>
    public IReadOnlyList<string> Synthesize(string type, string name, IReadOnlyDictionary<string, string>? options, string? outputFolder, bool overwrite)
    {
        if (Types().All(t => t.Type != type))
            throw new McpToolException($"component_type '{type}' is not registered; use one of: {string.Join(", ", Types().Select(t => t.Type))}");
        if (PackageNames.Problem(name) is { } problem)
            throw new McpToolException($"name '{name}': {problem}");
        foreach (var key in options?.Keys ?? [])
        {
            if (!OptionFlags.ContainsKey(key))
                throw new McpToolException($"option '{key}' is unknown for {type}; use: {string.Join(", ", OptionFlags.Keys)}");
        }
        var relative = outputFolder ?? Path.Combine("packages", name);
        string folder;
        try
        {
            folder = PathGuard.Resolve(root, relative);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw new McpToolException($"output_folder '{relative}' leaves the repo: give a folder inside it, such as packages/{name}");
        }
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !overwrite)
            throw new McpToolException($"output_folder {Path.GetRelativePath(root, folder)} is not empty: nothing was written; pass overwrite: true to replace its files");

        var hive = Path.Combine(root, ".btm", "template-hive");
        Run(["new", "install", Path.Combine(root, "templates", type), "--force", "--debug:custom-hive", hive]);
        var args = new List<string> { "new", type, "-n", name, "-o", folder, "--debug:custom-hive", hive };
        foreach (var (key, value) in options ?? new Dictionary<string, string>())
        {
            args.Add(OptionFlags[key]);
            args.Add(value);
        }
        if (overwrite)
            args.Add("--force");
        var before = Directory.Exists(folder) ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToHashSet() : [];
        Run(args);
        return Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => overwrite || !before.Contains(f)).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();
    }

    private void Run(IReadOnlyList<string> args)
    {
        var (exit, output) = Btm.Build.Pipeline.ToolProbe.RunIn(root, TimeSpan.FromMinutes(5), "dotnet", [.. args]);
        if (exit != 0)
            throw new McpToolException($"dotnet {string.Join(' ', args)} exited {exit}: {output.Trim()}");
    }
}

/// <summary>A tool call that cannot be done as asked: the message says why and what to give instead.</summary>
public sealed class McpToolException(string message) : Exception(message);

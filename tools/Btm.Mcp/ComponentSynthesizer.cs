using System.IO.Enumeration;
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

    /// <summary>Longest name accepted (npm allows 214 with the scope; a folder name this long is already a mistake).</summary>
    public const int MaxName = 64;

    /// <summary>Longest option value accepted: a description is one line for npm.</summary>
    public const int MaxOptionValue = 1024;

    /// <summary>At most a short, printable prefix of what the caller sent: a refusal never echoes an input whole.</summary>
    public static string Clip(string? value)
    {
        if (value is null)
            return "(null)";
        var printable = new string(value.Take(48).Select(c => char.IsControl(c) ? '·' : c).ToArray());
        return value.Length <= 48 ? printable : $"{printable}… ({value.Length} characters)";
    }

    /// <summary>Writes the component; returns the files written, relative to the repo.</summary>
    public IReadOnlyList<string> Synthesize(string type, string name, IReadOnlyDictionary<string, string>? options, string? outputFolder, bool overwrite)
    {
        if (Types().All(t => t.Type != type))
            throw new McpToolException($"component_type '{Clip(type)}' is not registered; use one of: {string.Join(", ", Types().Select(t => t.Type))}");
        if (name.Length > MaxName)
            throw new McpToolException($"name '{Clip(name)}' is longer than {MaxName} characters");
        if (PackageNames.Problem(name) is { } problem)
            throw new McpToolException($"name '{Clip(name)}': {problem}");
        if (options?.Count > OptionFlags.Count)
            throw new McpToolException($"options: {options.Count} given; {type} has {OptionFlags.Count}: {string.Join(", ", OptionFlags.Keys)}");
        foreach (var (key, value) in options ?? new Dictionary<string, string>())
        {
            if (!OptionFlags.ContainsKey(key))
                throw new McpToolException($"option '{Clip(key)}' is unknown for {type}; use: {string.Join(", ", OptionFlags.Keys)}");
            if (value is null || value.Length > MaxOptionValue)
                throw new McpToolException($"option '{key}': {(value is null ? "null" : $"'{Clip(value)}' is longer than {MaxOptionValue} characters")}; give a string of at most {MaxOptionValue}");
            if (value.Contains('\0'))
                throw new McpToolException($"option '{key}': '{Clip(value)}' contains a NUL character");
        }
        if (outputFolder?.Length > 4096)
            throw new McpToolException($"output_folder '{Clip(outputFolder)}' is longer than 4096 characters");
        var relative = outputFolder ?? Path.Combine("packages", name);
        string folder;
        try
        {
            folder = PathGuard.ResolveNoLinks(root, relative);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
        {
            throw new McpToolException($"output_folder '{Clip(relative)}' leaves the repo ({e.Message}): give a folder inside it, such as packages/{name}");
        }
        relative = Path.GetRelativePath(root, folder);
        if (OtherComponent(folder, name) is { } other)
            throw new McpToolException($"output_folder {relative} {other}: a component is only ever written into its own folder, overwrite or not; nothing was written");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !overwrite)
            throw new McpToolException($"output_folder {relative} is not empty: nothing was written; pass overwrite: true to replace its files");

        if (!Directory.Exists(Path.Combine(root, "templates", type)))
            throw new McpToolException($"component_type '{type}': this repo has no templates/{type} folder to render; restore it from BTM's repository");
        // Rendered into a folder of our own first: only a checked result reaches the repo.
        var stage = Path.Combine(root, ".btm", "tmp", "synth-" + Guid.NewGuid().ToString("N")[..12]);
        var staged = Path.Combine(stage, name);
        try
        {
            var hive = Path.Combine(root, ".btm", "template-hive");
            Run(["new", "install", Path.Combine(root, "templates", type), "--force", "--debug:custom-hive", hive]);
            var args = new List<string> { "new", type, "-n", name, "-o", staged, "--debug:custom-hive", hive };
            // One token per option (--flag=value): a value starting with '@' is then data, never a response file to read.
            foreach (var (key, value) in options ?? new Dictionary<string, string>())
                args.Add($"{OptionFlags[key]}={value}");
            Run(args);
            var manifest = Path.Combine(staged, PackageManifest.FileName);
            if (File.Exists(manifest))
            {
                try
                {
                    PackageManifestReader.Load(manifest, $"{relative}/{PackageManifest.FileName}", Btm.Build.Pipeline.BuilderRegistry.Default.Specs);
                }
                catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException)
                {
                    throw new McpToolException($"the template rendered an invalid {PackageManifest.FileName} from these options ({Clip(e.Message)}); nothing was written");
                }
            }
            var written = new List<string>();
            foreach (var file in Directory.GetFiles(staged, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var into = Path.Combine(relative, Path.GetRelativePath(staged, file));
                string destination;
                try
                {
                    destination = PathGuard.ResolveNoLinks(root, into);
                }
                catch (InvalidDataException e)
                {
                    throw new McpToolException($"{into}: {e.Message}; stopped after writing {written.Count} file(s): {string.Join(", ", written)}");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                // rename(2) replaces what is at the destination, a link included, and never writes through one.
                File.Move(file, destination, overwrite);
                written.Add(Path.GetRelativePath(root, destination));
            }
            return written;
        }
        finally
        {
            if (Directory.Exists(stage))
                Directory.Delete(stage, recursive: true);
        }
    }

    /// <summary>
    /// Why <paramref name="folder"/> belongs to another component (a btm.json naming another
    /// package in it, above it or below it), or null when it is free or <paramref name="name"/>'s own.
    /// </summary>
    private string? OtherComponent(string folder, string name)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var manifests = new List<string>();
        for (var dir = folder; dir.Length > fullRoot.Length && dir.StartsWith(fullRoot, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir)!)
            manifests.Add(Path.Combine(dir, PackageManifest.FileName));
        if (Directory.Exists(folder))
        {
            manifests.AddRange(new FileSystemEnumerable<string>(folder, (ref FileSystemEntry e) => e.ToFullPath(),
                new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, MaxRecursionDepth = 8 })
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && e.FileName.SequenceEqual(PackageManifest.FileName),
            });
        }
        foreach (var manifest in manifests.Where(File.Exists))
        {
            string? owner;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifest));
                owner = doc.RootElement.TryGetProperty("name", out var n) ? n.GetString() : null;
            }
            catch (System.Text.Json.JsonException)
            {
                owner = null;
            }
            if (owner != name || Path.GetDirectoryName(manifest) != folder)
                return $"is inside or holds the component '{Clip(owner ?? Path.GetRelativePath(root, manifest))}' ({Path.GetRelativePath(root, manifest)})";
        }
        return null;
    }

    private void Run(IReadOnlyList<string> args)
    {
        var (exit, output) = Btm.Build.Pipeline.ToolProbe.RunIn(root, TimeSpan.FromMinutes(5), "dotnet", [.. args]);
        if (exit != 0)
            throw new McpToolException($"dotnet {args[0]} {args[1]} exited {exit}: {Clip(output.Trim().Split('\n').LastOrDefault())}");
    }
}

/// <summary>A tool call that cannot be done as asked: the message says why and what to give instead.</summary>
public sealed class McpToolException(string message) : Exception(message);

using System.Text.Json;
using System.Text.RegularExpressions;
using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>
/// Reads and validates btm.json. The fields accepted here are exactly the properties of
/// docs/schemas/btm.schema.json (a test keeps the two in step).
/// </summary>
public static partial class PackageManifestReader
{
    public static readonly IReadOnlySet<string> KnownFields = new SortedSet<string>(StringComparer.Ordinal)
    {
        "$schema", "name", "description", "builder", "targets", "binaries", "inputs", "dependsOn", "tools", "test", "debugBinaries", "compress", "publish",
    };

    public static readonly IReadOnlySet<string> KnownToolFields = new SortedSet<string>(StringComparer.Ordinal)
    {
        "name", "command", "pkgConfig", "version", "install",
    };

    // npm's rules for the unscoped part of a name, narrowed to lowercase kebab-case so the
    // same string is safe as a folder name, a CMake target and a platform package suffix.
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NpmSafeName();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex BinaryName();

    [GeneratedRegex(@"^>=\s*\d+(\.\d+){0,2}$")]
    private static partial Regex VersionRange();

    /// <param name="builders">The "builder" values accepted: the build program's builder registry.</param>
    public static PackageManifest Load(string manifestPath, string displayPath, IReadOnlyCollection<string> builders)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new ConfigException(displayPath, $"line {e.LineNumber + 1}", $"not valid JSON ({e.Message.Split(" LineNumber")[0]})",
                "correct the JSON syntax");
        }
        using (doc)
            return Read(doc.RootElement, manifestPath, displayPath, builders);
    }

    private static PackageManifest Read(JsonElement root, string manifestPath, string file, IReadOnlyCollection<string> builders)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, "(root)", "must be a JSON object", "wrap the settings in { }");

        foreach (var property in root.EnumerateObject())
        {
            if (!KnownFields.Contains(property.Name))
                throw new ConfigException(file, property.Name, "unknown field",
                    $"remove it or use one of: {string.Join(", ", KnownFields.Where(f => f != "$schema"))}");
        }

        var folderName = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);
        var name = RequiredString(root, "name", file);
        if (name.Length > 200 || !NpmSafeName().IsMatch(name))
            throw new ConfigException(file, "name", $"'{name}' is not an npm-safe name",
                "use lowercase letters, digits, '-', '.' or '_', starting with a letter or digit");
        if (name != folderName)
            throw new ConfigException(file, "name", $"'{name}' differs from its folder 'packages/{folderName}'",
                $"rename the folder or set \"name\": \"{folderName}\"");

        var description = RequiredString(root, "description", file);

        var builder = RequiredString(root, "builder", file);
        if (!builders.Contains(builder))
            throw new ConfigException(file, "builder", $"unknown builder '{builder}'", $"use one of: {string.Join(", ", builders.Select(b => $"\"{b}\""))}");

        IReadOnlyList<PlatformId>? targets = null;
        if (root.TryGetProperty("targets", out _))
        {
            var list = new List<PlatformId>();
            foreach (var (text, index) in StringArray(root, "targets", file, allowEmpty: false).Select((t, i) => (t, i)))
            {
                if (!PlatformId.TryParse(text, out var id, out var error))
                    throw new ConfigException(file, $"targets[{index}]", $"unknown platform id: {error}",
                        $"use one of: {PlatformId.KnownList}");
                if (list.Contains(id))
                    throw new ConfigException(file, $"targets[{index}]", $"'{text}' is listed twice", "remove the duplicate");
                list.Add(id);
            }
            targets = list;
        }

        var binaries = StringArray(root, "binaries", file, allowEmpty: false, required: true);
        for (var i = 0; i < binaries.Count; i++)
        {
            if (!BinaryName().IsMatch(binaries[i]) || binaries[i].EndsWith(".exe", StringComparison.OrdinalIgnoreCase))
                throw new ConfigException(file, $"binaries[{i}]", $"'{binaries[i]}' is not a plain executable name",
                    "give the file name without folders and without .exe (it is added for win32)");
        }

        var inputs = root.TryGetProperty("inputs", out _)
            ? StringArray(root, "inputs", file, allowEmpty: false)
            : PackageManifest.DefaultInputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            var glob = inputs[i];
            if (Path.IsPathRooted(glob) || glob.Split('/', '\\').Contains(".."))
                throw new ConfigException(file, $"inputs[{i}]", $"'{glob}' points outside the package folder",
                    "use a glob relative to the package folder, without '..'");
        }

        var dependsOn = root.TryGetProperty("dependsOn", out _) ? StringArray(root, "dependsOn", file, allowEmpty: true) : [];
        for (var i = 0; i < dependsOn.Count; i++)
        {
            if (dependsOn[i] == name)
                throw new ConfigException(file, $"dependsOn[{i}]", "a package cannot depend on itself", $"remove '{name}'");
        }

        var tools = root.TryGetProperty("tools", out var toolsElement) ? ReadTools(toolsElement, file) : [];

        var test = Flag(root, "test", file, defaultValue: true);
        var debugBinaries = Flag(root, "debugBinaries", file, defaultValue: false);
        var compress = Flag(root, "compress", file, defaultValue: false);
        var publish = Flag(root, "publish", file, defaultValue: true);
        if (compress && name == PackageManifest.StubPackage)
            throw new ConfigException(file, "compress", "the stub cannot compress itself", "remove \"compress\"");

        return new PackageManifest(name, description, builder, targets, binaries, inputs, dependsOn, tools, test, debugBinaries, compress, publish,
            Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath);
    }

    private static bool Flag(JsonElement root, string field, string file, bool defaultValue)
    {
        if (!root.TryGetProperty(field, out var element))
            return defaultValue;
        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new ConfigException(file, field, "must be true or false", $"write \"{field}\": true or \"{field}\": false");
        return element.GetBoolean();
    }

    private static List<ToolRequirement> ReadTools(JsonElement element, string file)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new ConfigException(file, "tools", "must be an array of tool objects", "write \"tools\": [ { \"name\": ..., \"command\": ... } ]");
        var tools = new List<ToolRequirement>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var at = $"tools[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
                throw new ConfigException(file, at, "must be an object", "write { \"name\": ..., \"command\": ... }");
            foreach (var property in item.EnumerateObject())
            {
                if (!KnownToolFields.Contains(property.Name))
                    throw new ConfigException(file, $"{at}.{property.Name}", "unknown field",
                        $"remove it or use one of: {string.Join(", ", KnownToolFields)}");
            }
            var name = RequiredString(item, "name", file, at);
            var command = OptionalString(item, "command", file, at);
            var pkgConfig = OptionalString(item, "pkgConfig", file, at);
            if ((command is null) == (pkgConfig is null))
                throw new ConfigException(file, at, $"tool '{name}' needs exactly one of command or pkgConfig",
                    "set \"command\" for a program, or \"pkgConfig\" for a library found with pkg-config");
            var version = OptionalString(item, "version", file, at);
            if (version is not null && !VersionRange().IsMatch(version))
                throw new ConfigException(file, $"{at}.version", $"'{version}' is not a minimum version", "write it as \">=3.20\"");
            var install = new Dictionary<string, string>(StringComparer.Ordinal);
            if (item.TryGetProperty("install", out var installElement))
            {
                if (installElement.ValueKind != JsonValueKind.Object)
                    throw new ConfigException(file, $"{at}.install", "must be an object keyed by os", "write { \"linux\": \"apt-get install ...\" }");
                foreach (var hint in installElement.EnumerateObject())
                {
                    if (!PlatformId.KnownOs.Contains(hint.Name))
                        throw new ConfigException(file, $"{at}.install.{hint.Name}", "unknown os",
                            $"use one of: {string.Join(", ", PlatformId.KnownOs)}");
                    if (hint.Value.ValueKind != JsonValueKind.String)
                        throw new ConfigException(file, $"{at}.install.{hint.Name}", "must be a string", "write the install command as text");
                    install[hint.Name] = hint.Value.GetString()!;
                }
            }
            tools.Add(new ToolRequirement(name, command, pkgConfig, version?.TrimStart('>', '=', ' '), install));
        }
        return tools;
    }

    private static string RequiredString(JsonElement obj, string field, string file, string? parent = null)
    {
        var at = parent is null ? field : $"{parent}.{field}";
        if (!obj.TryGetProperty(field, out var value))
            throw new ConfigException(file, at, "is required", $"add \"{field}\"");
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new ConfigException(file, at, "must be a non-empty string", $"set \"{field}\" to text");
        return value.GetString()!;
    }

    private static string? OptionalString(JsonElement obj, string field, string file, string parent)
    {
        if (!obj.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new ConfigException(file, $"{parent}.{field}", "must be a non-empty string", $"set \"{field}\" to text or remove it");
        return value.GetString()!;
    }

    private static List<string> StringArray(JsonElement obj, string field, string file, bool allowEmpty, bool required = false)
    {
        if (!obj.TryGetProperty(field, out var value))
        {
            if (required)
                throw new ConfigException(file, field, "is required", $"add \"{field}\": [ ... ]");
            return [];
        }
        if (value.ValueKind != JsonValueKind.Array)
            throw new ConfigException(file, field, "must be an array of strings", $"write \"{field}\": [\"...\"]");
        var list = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new ConfigException(file, $"{field}[{index}]", "must be a non-empty string", "write the entry as text");
            list.Add(item.GetString()!);
            index++;
        }
        if (list.Count == 0 && !allowEmpty)
            throw new ConfigException(file, field, "is empty", $"list at least one entry or remove \"{field}\"");
        return list;
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Btm.Core.Model;

/// <summary>
/// docs/schemas/btm.schema.json, made from the fields every package has (btm.schema.base.json)
/// and the builder registry: the "builder" enum with each builder's description, and each
/// builder's own section. `./build.sh --target=Schema` writes it; a test pins the file to this.
/// </summary>
public static class BtmSchema
{
    public const string RepoPath = "docs/schemas/btm.schema.json";

    public static string Generate(IEnumerable<BuilderSpec> builders)
    {
        var list = builders.ToList();
        using var stream = typeof(BtmSchema).Assembly.GetManifestResourceStream("btm.schema.base.json")
            ?? throw new InvalidOperationException("btm.schema.base.json is not embedded in Btm.Core");
        var schema = JsonNode.Parse(stream)!.AsObject();
        var properties = schema["properties"]!.AsObject();
        var builder = properties["builder"]!.AsObject();
        builder["enum"] = new JsonArray(list.Select(b => (JsonNode)JsonValue.Create(b.Name)!).ToArray());
        builder["description"] = "The builder (build/Pipeline/Builders). " + string.Join(". ", list.Select(b => $"{b.Name}: {b.Description}"));
        foreach (var b in list)
        {
            if (b.Section is not { } section)
                continue;
            if (properties.ContainsKey(section.Key))
                throw new InvalidOperationException($"builder {b.Name}'s section '{section.Key}' is already a btm.json field");
            var fragment = section.Schema();
            var description = fragment["description"]?.GetValue<string>();
            fragment["description"] = $"Builder {b.Name} only" + (section.WhenAbsent is null ? ", required" : "") + (description is null ? "." : $": {description}");
            properties[section.Key] = fragment;
        }
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}

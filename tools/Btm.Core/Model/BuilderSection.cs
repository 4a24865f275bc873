using System.Text.Json;
using System.Text.Json.Nodes;

namespace Btm.Core.Model;

/// <summary>
/// A builder as btm.json knows it: its "builder" value, what it asks of a package, and its own
/// section, if any. The build program's builder registry hands these to
/// <see cref="PackageManifestReader"/> and to <see cref="BtmSchema"/>.
/// </summary>
public sealed record BuilderSpec(string Name, string Description, BuilderSection? Section);

/// <summary>
/// A builder's own btm.json section: its key, its JSON Schema, and the reader that turns it into
/// the builder's typed options (errors name the file, the field and the fix). A section is
/// accepted only in a package that uses its builder.
/// </summary>
/// <param name="Key">The top-level btm.json field ("make", "sea").</param>
/// <param name="SchemaJson">The field's JSON Schema; its description is the docs for it.</param>
/// <param name="Read">Reads the section; the reader knows the file and the section's path.</param>
/// <param name="WhenAbsent">Options when the package has no such section, or null when the section is required.</param>
public sealed record BuilderSection(string Key, string SchemaJson, Func<SectionReader, object> Read, object? WhenAbsent)
{
    public JsonObject Schema() => JsonNode.Parse(SchemaJson)!.AsObject();
}

/// <summary>
/// Builder options that name other packages of the repo (a psp slot holding another package's
/// output): each becomes a dependency, built first for the same platform, as if in "dependsOn".
/// </summary>
public interface IImpliedDependencies
{
    /// <summary>Each package named, with the btm.json field that names it (for errors).</summary>
    IEnumerable<(string Package, string Field)> Dependencies { get; }
}

/// <summary>
/// One JSON object of btm.json and the path to it, with readers that throw a
/// <see cref="ConfigException"/> naming the file, the field and the fix.
/// </summary>
public sealed class SectionReader(JsonElement element, string file, string at)
{
    public JsonElement Element => element;

    /// <summary>The btm.json path (for messages).</summary>
    public string File => file;

    /// <summary>This object's path in the file ("sea", "sea.runtimes.linux-x64").</summary>
    public string At => at;

    public string PathOf(string field) => $"{at}.{field}";

    public bool Has(string field) => element.TryGetProperty(field, out _);

    /// <summary>The object must hold only these fields.</summary>
    public SectionReader Known(params string[] fields)
    {
        PackageManifestReader.Known(element, fields, file, at);
        return this;
    }

    public string String(string field) => PackageManifestReader.RequiredString(element, field, file, at);

    public string String(string field, string defaultValue) => Has(field) ? String(field) : defaultValue;

    public string? OptionalString(string field) => PackageManifestReader.OptionalString(element, field, file, at);

    public IReadOnlyList<string> Strings(string field, bool allowEmpty = true) =>
        PackageManifestReader.StringArray(element, field, file, allowEmpty, parent: at);

    public IReadOnlyDictionary<string, string> Map(string field) => PackageManifestReader.StringMap(element, field, file, at);

    public bool Flag(string field, bool defaultValue)
    {
        if (!element.TryGetProperty(field, out var value))
            return defaultValue;
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw Error(field, "must be true or false", $"write \"{field}\": true or \"{field}\": false");
        return value.GetBoolean();
    }

    /// <summary>A path relative to <paramref name="what"/> that stays inside it ("." when absent).</summary>
    public string RelativePath(string field, string what) => Has(field) ? Relative(String(field), field, what) : ".";

    /// <summary><paramref name="value"/>, read at <paramref name="field"/>, as a path that stays inside <paramref name="what"/>.</summary>
    public string Relative(string value, string field, string what) => PackageManifestReader.Relative(value, file, PathOf(field), what);

    /// <summary>The field as an object to read further; null when absent.</summary>
    public SectionReader? Object(string field)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(field, "must be an object", $"write \"{field}\": {{ ... }}");
        return new SectionReader(value, file, PathOf(field));
    }

    /// <summary>Every property of this object, each with a reader at its own path.</summary>
    public IEnumerable<(string Name, JsonElement Value, string At)> Properties() =>
        element.EnumerateObject().Select(p => (p.Name, p.Value, PathOf(p.Name)));

    public static bool IsSha256(string value) => PackageManifestReader.Sha256Pattern().IsMatch(value);

    public ConfigException Error(string field, string problem, string fix) => new(file, PathOf(field), problem, fix);

    /// <summary>An error about this object itself.</summary>
    public ConfigException Error(string problem, string fix) => new(file, at, problem, fix);
}

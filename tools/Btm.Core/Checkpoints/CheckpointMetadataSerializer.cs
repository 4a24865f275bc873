using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Btm.Core.Keys;

namespace Btm.Core.Checkpoints;

/// <summary>
/// The one reader and writer of checkpoint metadata. Output is byte-stable (fixed property
/// order, two-space indent, '\n', trailing newline) so golden vectors can pin it.
/// </summary>
public static partial class CheckpointMetadataSerializer
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    public static byte[] Serialize(CheckpointMetadata m)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", CheckpointMetadata.Format);
            w.WriteString("package", m.Package);
            w.WriteString("stage", m.Stage);
            w.WriteString("platform", m.Platform);
            w.WriteString("mode", m.Mode);
            w.WriteString("key", m.Key);
            w.WriteStartObject("components");
            foreach (var (name, digest) in m.Components.Named())
                w.WriteString(name, digest);
            w.WriteEndObject();
            w.WriteStartObject("archive");
            w.WriteString("file", m.ArchiveFile);
            w.WriteNumber("size", m.ArchiveSize);
            w.WriteString("sha256", m.ArchiveSha256);
            w.WriteEndObject();
            w.WriteString("created", m.Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Parses and checks every field; throws <see cref="InvalidDataException"/> naming the field.</summary>
    public static CheckpointMetadata Deserialize(ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"metadata is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("metadata is not a JSON object");
            var format = Str(root, "format");
            if (format != CheckpointMetadata.Format)
                throw new InvalidDataException($"format is '{format}', expected '{CheckpointMetadata.Format}'");
            var components = Obj(root, "components");
            var archive = Obj(root, "archive");
            if (!archive.TryGetProperty("size", out var sizeElement) || !sizeElement.TryGetInt64(out var size) || size < 0)
                throw new InvalidDataException("archive.size is missing or not a non-negative integer");
            var createdText = Str(root, "created");
            if (!DateTimeOffset.TryParseExact(createdText, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var created))
                throw new InvalidDataException($"created '{createdText}' is not a UTC time like 2026-01-31T12:00:00Z");
            var file = Str(archive, "file");
            if (file.Contains('/') || file.Contains('\\') || file.StartsWith('.'))
                throw new InvalidDataException($"archive.file '{file}' must be a plain file name");
            return new CheckpointMetadata(
                Str(root, "package"), Str(root, "stage"), Str(root, "platform"), Str(root, "mode"), Hash(root, "key"),
                new KeyComponents(Hash(components, "files"), Hash(components, "manifest"), Hash(components, "toolchain"),
                    Hash(components, "environment"), Hash(components, "target"), Hash(components, "dependencies")),
                file, size, Hash(archive, "sha256"), created);
        }
    }

    private static JsonElement Obj(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object
            ? e
            : throw new InvalidDataException($"{name} is missing or not an object");

    private static string Str(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String && e.GetString()!.Length > 0
            ? e.GetString()!
            : throw new InvalidDataException($"{name} is missing or not a string");

    private static string Hash(JsonElement parent, string name)
    {
        var value = Str(parent, name);
        return Sha256Hex().IsMatch(value) ? value : throw new InvalidDataException($"{name} is not a lowercase SHA-256 hex digest");
    }

    public static string ToText(CheckpointMetadata m) => Encoding.UTF8.GetString(Serialize(m));
}

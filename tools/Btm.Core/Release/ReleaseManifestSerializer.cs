using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Btm.Core.Release;

/// <summary>
/// The one writer and reader of manifest.json. Output is byte-stable (fixed property order,
/// two-space indent, '\n', trailing newline) so two Package runs give identical bytes and the
/// signature covers exactly what consumers parse.
/// </summary>
public static partial class ReleaseManifestSerializer
{
    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHex();

    private static readonly string[] Roles = ["release", "debug", "launcher", "metadata"];

    public static byte[] Serialize(ReleaseManifest m)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("manifestVersion", ReleaseManifest.FormatVersion);
            w.WriteStartObject("release");
            w.WriteString("version", m.Version);
            w.WriteString("scope", m.Scope);
            if (m.Partial.Count > 0)
            {
                w.WriteStartObject("partial");
                foreach (var (component, missing) in m.Partial.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WriteStartArray(component);
                    foreach (var platform in missing.Order(StringComparer.Ordinal))
                        w.WriteStringValue(platform);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("source");
            if (m.Commit is null) w.WriteNull("commit"); else w.WriteString("commit", m.Commit);
            w.WriteBoolean("dirty", m.Dirty);
            w.WriteEndObject();
            w.WriteStartObject("build");
            w.WriteString("time", m.BuildTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("timeSource", m.BuildTimeSource);
            w.WriteStartObject("toolchains");
            foreach (var t in m.Toolchains.OrderBy(t => t.Platform, StringComparer.Ordinal))
            {
                w.WriteStartObject(t.Platform);
                w.WriteString("compiler", t.Compiler);
                w.WriteString("builder", t.Builder);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("signing");
            w.WriteBoolean("signed", m.Signed);
            w.WriteString("algorithm", "ed25519");
            if (m.SigningPublicKey is null) w.WriteNull("publicKey"); else w.WriteString("publicKey", m.SigningPublicKey);
            w.WriteString("signatureFile", ReleaseManifest.SignatureFileName);
            if (m.Authenticode is { } a)
            {
                w.WriteStartObject("authenticode");
                w.WriteString("subject", a.Subject);
                w.WriteString("certificates", a.Certificates);
                w.WriteString("sha256", a.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("packages");
            foreach (var p in m.Packages.OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteString("component", p.Component);
                w.WriteString("kind", p.Kind);
                w.WriteString("version", p.Version);
                WriteNullable(w, "platform", p.Platform);
                WriteNullable(w, "os", p.Os);
                WriteNullable(w, "cpu", p.Cpu);
                WriteNullable(w, "libc", p.Libc);
                w.WriteString("tarball", p.Tarball);
                w.WriteNumber("size", p.Size);
                w.WriteString("sha256", p.Sha256);
                w.WriteString("integrity", p.Integrity);
                w.WriteStartArray("files");
                foreach (var f in p.Files.OrderBy(f => f.Path, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("path", f.Path);
                    w.WriteNumber("size", f.Size);
                    w.WriteString("mode", "0" + Convert.ToString(f.Mode, 8).PadLeft(3, '0'));
                    w.WriteString("sha256", f.Sha256);
                    w.WriteString("role", f.Role);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (m.Nuget.Count > 0)
            {
                w.WriteStartArray("nuget");
                foreach (var n in m.Nuget.OrderBy(n => n.Id, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("id", n.Id);
                    w.WriteString("version", n.Version);
                    w.WriteString("file", n.File);
                    w.WriteNumber("size", n.Size);
                    w.WriteString("sha256", n.Sha256);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (m.Installers.Count > 0)
            {
                w.WriteStartArray("installers");
                foreach (var i in m.Installers.OrderBy(i => i.File, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("component", i.Component);
                    WriteNullable(w, "platform", i.Platform);
                    w.WriteString("format", i.Format);
                    w.WriteString("file", i.File);
                    w.WriteNumber("size", i.Size);
                    w.WriteString("sha256", i.Sha256);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    /// <summary>Parses and checks every field; throws <see cref="InvalidDataException"/> naming the JSON path.</summary>
    public static ReleaseManifest Deserialize(ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = Obj(doc.RootElement, "$");
            var format = Int(root, "manifestVersion", "$");
            if (format != ReleaseManifest.FormatVersion)
                throw new InvalidDataException($"$.manifestVersion is {format}; this reader understands {ReleaseManifest.FormatVersion}");
            var release = Obj(Prop(root, "release", "$"), "$.release");
            var source = Obj(Prop(root, "source", "$"), "$.source");
            var build = Obj(Prop(root, "build", "$"), "$.build");
            var signing = Obj(Prop(root, "signing", "$"), "$.signing");

            var commit = NullableStr(source, "commit", "$.source");
            if (commit is not null && !CommitHex().IsMatch(commit))
                throw new InvalidDataException($"$.source.commit '{commit}' is not a 40-digit lowercase git commit");
            var timeText = Str(build, "time", "$.build");
            if (!DateTimeOffset.TryParseExact(timeText, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                throw new InvalidDataException($"$.build.time '{timeText}' is not a UTC time like 2026-01-31T12:00:00Z");
            var toolchains = new List<ManifestToolchain>();
            foreach (var t in Obj(Prop(build, "toolchains", "$.build"), "$.build.toolchains").EnumerateObject())
            {
                var at = $"$.build.toolchains.{t.Name}";
                var tc = Obj(t.Value, at);
                toolchains.Add(new ManifestToolchain(t.Name, Str(tc, "compiler", at), Str(tc, "builder", at)));
            }
            var algorithm = Str(signing, "algorithm", "$.signing");
            if (algorithm != "ed25519")
                throw new InvalidDataException($"$.signing.algorithm is '{algorithm}'; only ed25519 is defined");

            var packages = new List<ManifestPackage>();
            var index = 0;
            foreach (var p in Arr(Prop(root, "packages", "$"), "$.packages").EnumerateArray())
            {
                var at = $"$.packages[{index++}]";
                Obj(p, at);
                var kind = Str(p, "kind", at);
                if (kind is not (ManifestPackage.PlatformKind or ManifestPackage.WrapperKind))
                    throw new InvalidDataException($"{at}.kind is '{kind}'; expected platform or wrapper");
                var files = new List<ManifestFile>();
                var fileIndex = 0;
                foreach (var f in Arr(Prop(p, "files", at), $"{at}.files").EnumerateArray())
                {
                    var fat = $"{at}.files[{fileIndex++}]";
                    Obj(f, fat);
                    var modeText = Str(f, "mode", fat);
                    if (modeText.Length != 4 || modeText[0] != '0' || !modeText.All(c => c is >= '0' and <= '7'))
                        throw new InvalidDataException($"{fat}.mode '{modeText}' is not an octal mode like 0755");
                    var role = Str(f, "role", fat);
                    if (!Roles.Contains(role))
                        throw new InvalidDataException($"{fat}.role is '{role}'; expected one of {string.Join(", ", Roles)}");
                    files.Add(new ManifestFile(Str(f, "path", fat), Long(f, "size", fat), Convert.ToInt32(modeText, 8), Hash(f, "sha256", fat), role));
                }
                var integrity = Str(p, "integrity", at);
                if (!integrity.StartsWith("sha512-", StringComparison.Ordinal))
                    throw new InvalidDataException($"{at}.integrity must be a sha512- SRI string");
                var tarball = Str(p, "tarball", at);
                if (!tarball.StartsWith("npm/", StringComparison.Ordinal) || tarball.Contains("..") || tarball.Count(c => c == '/') != 1)
                    throw new InvalidDataException($"{at}.tarball '{tarball}' must be a file directly under npm/");
                packages.Add(new ManifestPackage(Str(p, "name", at), Str(p, "component", at), kind, Str(p, "version", at),
                    NullableStr(p, "platform", at), NullableStr(p, "os", at), NullableStr(p, "cpu", at), NullableStr(p, "libc", at),
                    tarball, Long(p, "size", at), Hash(p, "sha256", at), integrity, files));
            }
            var partial = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (release.TryGetProperty("partial", out var partialElement))
            {
                foreach (var component in Obj(partialElement, "$.release.partial").EnumerateObject())
                {
                    var at = $"$.release.partial.{component.Name}";
                    partial[component.Name] = Arr(component.Value, at).EnumerateArray()
                        .Select((e, i) => e.ValueKind == JsonValueKind.String && e.GetString()!.Length > 0 ? e.GetString()! : throw new InvalidDataException($"{at}[{i}] is not a platform id"))
                        .ToList();
                }
            }
            var nuget = new List<ManifestNuget>();
            if (root.TryGetProperty("nuget", out var nugetElement))
            {
                var n = 0;
                foreach (var e in Arr(nugetElement, "$.nuget").EnumerateArray())
                {
                    var at = $"$.nuget[{n++}]";
                    Obj(e, at);
                    var file = Str(e, "file", at);
                    if (file != Path.GetFileName(file) || file.Contains('\\') || file is "." or ".." || !file.EndsWith(".nupkg", StringComparison.Ordinal))
                        throw new InvalidDataException($"{at}.file '{file}' must be a .nupkg file name in the release folder's root");
                    nuget.Add(new ManifestNuget(Str(e, "id", at), Str(e, "version", at), file, Long(e, "size", at), Hash(e, "sha256", at)));
                }
            }
            var installers = new List<ManifestInstaller>();
            if (root.TryGetProperty("installers", out var installersElement))
            {
                var n = 0;
                foreach (var e in Arr(installersElement, "$.installers").EnumerateArray())
                {
                    var at = $"$.installers[{n++}]";
                    Obj(e, at);
                    var file = Str(e, "file", at);
                    var name = file.StartsWith(ManifestInstaller.Folder + "/", StringComparison.Ordinal) ? file[(ManifestInstaller.Folder.Length + 1)..] : "";
                    if (name.Length == 0 || name != Path.GetFileName(name) || name.Contains('\\') || name is "." or "..")
                        throw new InvalidDataException($"{at}.file '{file}' must be a file directly under {ManifestInstaller.Folder}/");
                    installers.Add(new ManifestInstaller(Str(e, "component", at), NullableStr(e, "platform", at), Str(e, "format", at), file,
                        Long(e, "size", at), Hash(e, "sha256", at)));
                }
            }
            ManifestAuthenticode? authenticode = null;
            if (signing.TryGetProperty("authenticode", out var authenticodeElement))
            {
                const string at = "$.signing.authenticode";
                Obj(authenticodeElement, at);
                var certificates = Str(authenticodeElement, "certificates", at);
                if (certificates != Path.GetFileName(certificates) || certificates.Contains('\\') || certificates is "." or ".." || !certificates.EndsWith(".pem", StringComparison.Ordinal))
                    throw new InvalidDataException($"{at}.certificates '{certificates}' must be a .pem file name in the release folder's root");
                authenticode = new ManifestAuthenticode(Str(authenticodeElement, "subject", at), certificates, Hash(authenticodeElement, "sha256", at));
            }
            return new ReleaseManifest(Str(release, "version", "$.release"), Str(release, "scope", "$.release"), commit,
                Bool(source, "dirty", "$.source"), time, Str(build, "timeSource", "$.build"), toolchains,
                Bool(signing, "signed", "$.signing"), NullableStr(signing, "publicKey", "$.signing"), packages) { Partial = partial, Nuget = nuget, Installers = installers, Authenticode = authenticode };
        }
    }

    private static JsonElement Prop(JsonElement parent, string name, string at) =>
        parent.TryGetProperty(name, out var e) ? e : throw new InvalidDataException($"{at}.{name} is missing");

    private static JsonElement Obj(JsonElement e, string at) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new InvalidDataException($"{at} is not an object");

    private static JsonElement Arr(JsonElement e, string at) =>
        e.ValueKind == JsonValueKind.Array ? e : throw new InvalidDataException($"{at} is not an array");

    private static string Str(JsonElement parent, string name, string at)
    {
        var e = Prop(parent, name, at);
        return e.ValueKind == JsonValueKind.String && e.GetString()!.Length > 0
            ? e.GetString()!
            : throw new InvalidDataException($"{at}.{name} is not a non-empty string");
    }

    private static string? NullableStr(JsonElement parent, string name, string at)
    {
        var e = Prop(parent, name, at);
        return e.ValueKind == JsonValueKind.Null ? null : Str(parent, name, at);
    }

    private static bool Bool(JsonElement parent, string name, string at)
    {
        var e = Prop(parent, name, at);
        return e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : throw new InvalidDataException($"{at}.{name} is not true or false");
    }

    private static long Long(JsonElement parent, string name, string at)
    {
        var e = Prop(parent, name, at);
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) && v >= 0 ? v : throw new InvalidDataException($"{at}.{name} is not a non-negative integer");
    }

    private static int Int(JsonElement parent, string name, string at) => checked((int)Long(parent, name, at));

    private static string Hash(JsonElement parent, string name, string at)
    {
        var value = Str(parent, name, at);
        return Sha256Hex().IsMatch(value) ? value : throw new InvalidDataException($"{at}.{name} is not a lowercase SHA-256 hex digest");
    }
}

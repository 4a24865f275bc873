using System.Text.Json;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Release;

/// <summary>Writes package.json files with a fixed field order, so packing twice gives the same bytes.</summary>
public static class PackageJsonWriter
{
    public static void Write(string path, Action<Utf8JsonWriter> body)
    {
        AtomicFile.Write(path, stream =>
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        });
    }

    /// <summary>
    /// name, version and license (<paramref name="license"/>: what the tarball ships under; else the
    /// package's own, btm.json or cake.config), description, repository.
    /// </summary>
    public static void Common(Utf8JsonWriter w, RepoSettings settings, PackageManifest package, string name, string description, string? license = null)
    {
        w.WriteString("name", name);
        w.WriteString("version", package.VersionOr(settings.Version));
        w.WriteString("description", description);
        w.WriteString("license", license ?? package.License ?? settings.License);
        if (settings.Repository is not null)
        {
            w.WriteStartObject("repository");
            w.WriteString("type", "git");
            w.WriteString("url", settings.Repository);
            w.WriteEndObject();
        }
    }

    public static void Array(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }
}

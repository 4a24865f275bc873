using System.Text.Json;
using System.Text.RegularExpressions;
using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>
/// Reads and validates btm.json: the fields every package has (<see cref="BaseFields"/>, the
/// properties of btm.schema.base.json) and the section of the package's builder, read by the
/// builder's own <see cref="BuilderSection"/>. docs/schemas/btm.schema.json is both, made by
/// <see cref="BtmSchema"/> (a test keeps them in step).
/// </summary>
public static partial class PackageManifestReader
{
    public static readonly IReadOnlySet<string> BaseFields = new SortedSet<string>(StringComparer.Ordinal)
    {
        "$schema", "name", "description", "version", "upstreamVersion", "license", "glibc", "builder", "targets", "binaries", "inputs", "dependsOn", "tools", "test",
        "debugBinaries", "compress", "publish", "sources", "install", "files", "verify", "installers", "budgets",
    };

    private static readonly string[] SourceFields = ["urls", "debian", "file", "sha256", "stripComponents", "into", "patches", "component", "version", "license", "licenseFiles", "debianPatches"];
    private static readonly string[] FileFields = ["from", "to", "mode"];
    private static readonly string[] VerifyFields = ["args", "expect", "reason"];

    public static readonly IReadOnlySet<string> KnownToolFields = new SortedSet<string>(StringComparer.Ordinal)
    {
        "name", "command", "pkgConfig", "version", "install",
    };

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex BinaryName();

    [GeneratedRegex(@"^>=\s*\d+(\.\d+){0,2}$")]
    private static partial Regex VersionRange();

    /// <param name="builders">The builders accepted, with their sections: the build program's builder registry.</param>
    public static PackageManifest Load(string manifestPath, string displayPath, IReadOnlyCollection<BuilderSpec> builders)
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

    private static PackageManifest Read(JsonElement root, string manifestPath, string file, IReadOnlyCollection<BuilderSpec> builders)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, "(root)", "must be a JSON object", "wrap the settings in { }");

        var sectionOwners = builders.Where(b => b.Section is not null).ToDictionary(b => b.Section!.Key, b => b.Name, StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!BaseFields.Contains(property.Name) && !sectionOwners.ContainsKey(property.Name))
                throw new ConfigException(file, property.Name, "unknown field",
                    $"remove it or use one of: {string.Join(", ", BaseFields.Concat(sectionOwners.Keys).Where(f => f != "$schema"))}");
        }

        var folderName = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!);
        var name = RequiredString(root, "name", file);
        if (PackageNames.Problem(name) is { } nameProblem)
            throw new ConfigException(file, "name", $"'{name}' is not an npm-safe name", nameProblem);
        if (name != folderName)
            throw new ConfigException(file, "name", $"'{name}' differs from its folder '{folderName}'",
                $"rename the folder or set \"name\": \"{folderName}\"");

        var description = RequiredString(root, "description", file);

        var builder = RequiredString(root, "builder", file);
        var spec = builders.FirstOrDefault(b => b.Name == builder)
            ?? throw new ConfigException(file, "builder", $"unknown builder '{builder}'", $"use one of: {string.Join(", ", builders.Select(b => $"\"{b.Name}\""))}");
        foreach (var (key, owner) in sectionOwners)
        {
            if (owner != builder && root.TryGetProperty(key, out _))
                throw new ConfigException(file, key, $"is the {owner} builder's section, and this package's builder is {builder}",
                    $"remove \"{key}\", or set \"builder\": \"{owner}\"");
        }
        var options = ReadSection(root, spec, file);

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
        var (compress, minSaving) = ReadCompress(root, file);
        var publish = Flag(root, "publish", file, defaultValue: true);
        if (compress && name == PackageManifest.StubPackage)
            throw new ConfigException(file, "compress", "the stub cannot compress itself", "remove \"compress\"");

        string? version = null;
        if (root.TryGetProperty("version", out _))
        {
            version = RequiredString(root, "version", file);
            if (!RepoSettingsReader.IsSemVer(version))
                throw new ConfigException(file, "version", $"'{version}' is not a SemVer version",
                    "write it as MAJOR.MINOR.PATCH (e.g. 5.4.6), or remove it to use cake.config's Version");
        }
        string? license = null;
        if (root.TryGetProperty("license", out _))
        {
            license = RequiredString(root, "license", file);
            if (Spdx.Problem(license) is { } problem)
                throw new ConfigException(file, "license", $"'{license}' is not an SPDX expression: {problem}",
                    "write an SPDX id or expression, e.g. MIT, GPL-2.0-only, BSD-3-Clause OR GPL-2.0-only");
        }

        string? glibc = null;
        if (root.TryGetProperty("glibc", out _))
        {
            glibc = RequiredString(root, "glibc", file);
            if (GlibcFloor.Problem(glibc) is { } problem)
                throw new ConfigException(file, "glibc", problem, "write \"glibc\": \"2.17\" (or newer), or \"host\" for binaries that need this machine's glibc");
        }

        return new PackageManifest(name, description, builder, targets, binaries, inputs, dependsOn, tools, test, debugBinaries, compress, publish,
            Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath)
        {
            Version = version,
            License = license,
            Glibc = glibc,
            Sources = root.TryGetProperty("sources", out var sources) ? ReadSources(sources, file) : [],
            BuilderOptions = options,
            Install = root.TryGetProperty("install", out var install) ? ReadInstall(install, file) : new Dictionary<string, string>(),
            Files = root.TryGetProperty("files", out var files) ? ReadFiles(files, file) : [],
            Verify = (root.TryGetProperty("verify", out var verify) ? ReadVerify(verify, file) : VerifyProbe.Default) with
            {
                UpstreamVersion = root.TryGetProperty("upstreamVersion", out _) ? RequiredString(root, "upstreamVersion", file) : null,
            },
            CompressMinSaving = minSaving,
            Installers = root.TryGetProperty("installers", out var installers) ? InstallerOptions.Read(installers, file) : null,
            Budgets = root.TryGetProperty("budgets", out var budgets) ? Budget.Read(budgets, file) : null,
        };
    }

    private static (bool Compress, int MinSaving) ReadCompress(JsonElement root, string file)
    {
        if (!root.TryGetProperty("compress", out var element))
            return (false, 10);
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return (element.GetBoolean(), 10);
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, "compress", "must be true, false or { \"minSaving\": <percent> }", "write \"compress\": true");
        Known(element, ["minSaving"], file, "compress");
        if (!element.TryGetProperty("minSaving", out var saving) || !saving.TryGetInt32(out var percent) || percent is < 0 or > 95)
            throw new ConfigException(file, "compress.minSaving", "must be a whole percentage from 0 to 95",
                "write \"minSaving\": 10 (ship compressed only when at least 10% smaller)");
        return (true, percent);
    }

    internal static void Known(JsonElement obj, string[] fields, string file, string at)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, at, "must be an object", $"write \"{at.Split('.', '[')[0]}\": {{ ... }}");
        foreach (var property in obj.EnumerateObject())
        {
            if (!fields.Contains(property.Name))
                throw new ConfigException(file, $"{at}.{property.Name}", "unknown field", $"remove it or use one of: {string.Join(", ", fields)}");
        }
    }

    /// <summary>A path relative to a folder it must stay inside: no root, no '..'.</summary>
    internal static string Relative(string value, string file, string at, string what)
    {
        var parts = value.Replace('\\', '/').Split('/');
        if (Path.IsPathRooted(value) || value.StartsWith('/') || parts.Contains(".."))
            throw new ConfigException(file, at, $"'{value}' leaves {what}", $"give a path relative to {what}, without '..'");
        return value.Replace('\\', '/');
    }

    private static List<SourceSpec> ReadSources(JsonElement element, string file)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new ConfigException(file, "sources", "must be an array of source objects",
                "write \"sources\": [ { \"urls\": [\"https://…/x-1.0.tar.gz\"], \"sha256\": \"…\" } ]");
        var list = new List<SourceSpec>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var at = $"sources[{index++}]";
            Known(item, SourceFields, file, at);
            var urls = StringArray(item, "urls", file, allowEmpty: true, parent: at);
            for (var i = 0; i < urls.Count; i++)
            {
                if (!Uri.TryCreate(urls[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw new ConfigException(file, $"{at}.urls[{i}]", $"'{urls[i]}' is not an http(s) URL", "give the archive's full URL");
            }
            var debian = item.TryGetProperty("debian", out _) ? RequiredString(item, "debian", file, at) : null;
            if (urls.Count == 0 && debian is null)
                throw new ConfigException(file, at, "has no urls and no debian package", "add \"urls\": [mirrors…] or \"debian\": \"<source package>\"");
            var name = item.TryGetProperty("file", out _) ? RequiredString(item, "file", file, at)
                : urls.Count > 0 ? Uri.UnescapeDataString(new Uri(urls[0]).Segments[^1])
                : throw new ConfigException(file, $"{at}.file", "is required with \"debian\"", "give the orig tarball's file name, e.g. libzstd_1.5.4+dfsg2.orig.tar.xz");
            if (name.Contains('/') || name.Contains('\\') || name is "." or "..")
                throw new ConfigException(file, $"{at}.file", $"'{name}' is not a file name", "give the archive's file name without folders");
            var sha = RequiredString(item, "sha256", file, at);
            if (!Sha256Pattern().IsMatch(sha))
                throw new ConfigException(file, $"{at}.sha256", $"'{sha}' is not a sha256", "give the 64 lowercase hex digits of the archive's SHA-256 (sha256sum)");
            var strip = 0;
            if (item.TryGetProperty("stripComponents", out var s) && (!s.TryGetInt32(out strip) || strip is < 0 or > 8))
                throw new ConfigException(file, $"{at}.stripComponents", "must be a whole number from 0 to 8", "write 1 to drop the archive's top folder");
            var into = item.TryGetProperty("into", out _) ? Relative(RequiredString(item, "into", file, at), file, $"{at}.into", "the source tree") : ".";
            var patches = StringArray(item, "patches", file, allowEmpty: true, parent: at)
                .Select((p, i) => Relative(p, file, $"{at}.patches[{i}]", "the package folder")).ToList();
            string? sourceLicense = null;
            if (item.TryGetProperty("license", out _))
            {
                sourceLicense = RequiredString(item, "license", file, at);
                if (Spdx.Problem(sourceLicense) is { } problem)
                    throw new ConfigException(file, $"{at}.license", $"'{sourceLicense}' is not an SPDX expression: {problem}",
                        "write the SPDX expression of the source's licence, e.g. BSD-3-Clause OR GPL-2.0-only");
            }
            var licenseFiles = StringArray(item, "licenseFiles", file, allowEmpty: true, parent: at)
                .Select((p, i) => Relative(p, file, $"{at}.licenseFiles[{i}]", "the source")).ToList();
            var component = item.TryGetProperty("component", out _) ? RequiredString(item, "component", file, at) : debian ?? SourceSpec.Stem(name);
            var sourceVersion = item.TryGetProperty("version", out _) ? RequiredString(item, "version", file, at) : SourceSpec.VersionFrom(name);
            DebianPatchSet? debianPatches = null;
            if (item.TryGetProperty("debianPatches", out var dp))
            {
                var dat = $"{at}.debianPatches";
                if (debian is null)
                    throw new ConfigException(file, dat, "needs \"debian\": the patch series is that Debian source package's", "add \"debian\": \"<source package>\", or remove debianPatches");
                Known(dp, ["file", "sha256", "skip"], file, dat);
                var patchFile = RequiredString(dp, "file", file, dat);
                if (!patchFile.EndsWith(".debian.tar.xz", StringComparison.Ordinal) || patchFile.Contains('/'))
                    throw new ConfigException(file, $"{dat}.file", $"'{patchFile}' is not a Debian packaging archive", $"give its file name, e.g. {debian}_1.0-1.debian.tar.xz");
                var patchSha = RequiredString(dp, "sha256", file, dat);
                if (!Sha256Pattern().IsMatch(patchSha))
                    throw new ConfigException(file, $"{dat}.sha256", $"'{patchSha}' is not a sha256", "give the 64 lowercase hex digits of the archive's SHA-256 (sha256sum)");
                var skip = dp.TryGetProperty("skip", out _) ? StringArray(dp, "skip", file, allowEmpty: true, parent: dat) : [];
                if (skip.FirstOrDefault(n => n.Contains('/') || n.Contains('\\') || n is "." or "..") is { } bad)
                    throw new ConfigException(file, $"{dat}.skip", $"'{bad}' is not a patch name", "give the names as debian/patches/series lists them, e.g. 0008-Do-not-use-venderized-oniguruma.patch");
                debianPatches = skip.Count == 0 ? new DebianPatchSet(patchFile, patchSha) : new DebianPatchSet(patchFile, patchSha) { Skip = skip };
            }
            list.Add(new SourceSpec(urls, debian, name, sha, strip, into, patches)
            {
                DebianPatches = debianPatches,
                Component = component,
                Version = sourceVersion,
                License = sourceLicense,
                LicenseFiles = licenseFiles,
            });
        }
        return list;
    }

    /// <summary>The builder's typed options: its section read by the builder's own reader, or what it takes without one.</summary>
    private static object? ReadSection(JsonElement root, BuilderSpec spec, string file)
    {
        if (spec.Section is not { } section)
            return null;
        if (!root.TryGetProperty(section.Key, out var element))
            return section.WhenAbsent ?? throw new ConfigException(file, section.Key, $"is required by builder {spec.Name}",
                $"add a \"{section.Key}\" section (docs/schemas/btm.schema.json describes it)");
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, section.Key, "must be an object", $"write \"{section.Key}\": {{ ... }}");
        return section.Read(new SectionReader(element, file, section.Key));
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    internal static partial Regex Sha256Pattern();

    private static Dictionary<string, string> ReadInstall(JsonElement element, string file)
    {
        var map = StringMap(element, null, file, "install");
        foreach (var (from, to) in map)
        {
            Relative(from, file, $"install.{from}", "the build tree");
            Relative(to, file, $"install.{from}", "the platform package");
        }
        return map;
    }

    private static List<ShippedFile> ReadFiles(JsonElement element, string file)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new ConfigException(file, "files", "must be an array", "write \"files\": [ { \"from\": \"share/x.dat\", \"to\": \"share/\" } ]");
        var list = new List<ShippedFile>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var at = $"files[{index++}]";
            Known(item, FileFields, file, at);
            var from = Relative(RequiredString(item, "from", file, at), file, $"{at}.from", "the source tree");
            var to = Relative(RequiredString(item, "to", file, at), file, $"{at}.to", "the platform package");
            UnixFileMode? mode = null;
            if (item.TryGetProperty("mode", out _))
            {
                var text = RequiredString(item, "mode", file, at);
                try
                {
                    mode = (UnixFileMode)Convert.ToInt32(text, 8);
                }
                catch (FormatException)
                {
                    throw new ConfigException(file, $"{at}.mode", $"'{text}' is not an octal mode", "write it like \"0644\" or \"0755\"");
                }
                if ((int)mode > 0x1FF)
                    throw new ConfigException(file, $"{at}.mode", $"'{text}' is not a permission mode", "use 0644 for data, 0755 for programs");
            }
            list.Add(new ShippedFile(from, to, mode));
        }
        return list;
    }

    private static VerifyProbe ReadVerify(JsonElement element, string file)
    {
        if (element.ValueKind == JsonValueKind.False)
            throw new ConfigException(file, "verify", "false needs a reason Verify can print",
                "write \"verify\": { \"reason\": \"why its binaries cannot be run here\" }");
        Known(element, VerifyFields, file, "verify");
        if (element.TryGetProperty("reason", out _))
        {
            if (element.TryGetProperty("args", out _) || element.TryGetProperty("expect", out _))
                throw new ConfigException(file, "verify", "has a reason (no check) and a check", "keep either \"reason\" or \"args\"/\"expect\"");
            return new VerifyProbe([], "", RequiredString(element, "reason", file, "verify"));
        }
        var args = element.TryGetProperty("args", out _) ? StringArray(element, "args", file, allowEmpty: true, parent: "verify") : VerifyProbe.Default.Args;
        var expect = element.TryGetProperty("expect", out _) ? RequiredString(element, "expect", file, "verify") : VerifyProbe.Default.Expect;
        return new VerifyProbe(args, expect, null);
    }

    internal static Dictionary<string, string> StringMap(JsonElement obj, string? field, string file, string parent)
    {
        var at = field is null ? parent : $"{parent}.{field}";
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonElement element;
        if (field is null)
            element = obj;
        else if (!obj.TryGetProperty(field, out element))
            return map;
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, at, "must be an object of strings", $"write \"{field ?? parent}\": {{ \"NAME\": \"value\" }}");
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw new ConfigException(file, $"{at}.{property.Name}", "must be a string", "write the value in quotes");
            map[property.Name] = property.Value.GetString()!;
        }
        return map;
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

    internal static string RequiredString(JsonElement obj, string field, string file, string? parent = null)
    {
        var at = parent is null ? field : $"{parent}.{field}";
        if (!obj.TryGetProperty(field, out var value))
            throw new ConfigException(file, at, "is required", $"add \"{field}\"");
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new ConfigException(file, at, "must be a non-empty string", $"set \"{field}\" to text");
        return value.GetString()!;
    }

    internal static string? OptionalString(JsonElement obj, string field, string file, string parent)
    {
        if (!obj.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new ConfigException(file, $"{parent}.{field}", "must be a non-empty string", $"set \"{field}\" to text or remove it");
        return value.GetString()!;
    }

    internal static List<string> StringArray(JsonElement obj, string field, string file, bool allowEmpty, bool required = false, string? parent = null)
    {
        var at = parent is null ? field : $"{parent}.{field}";
        if (!obj.TryGetProperty(field, out var value))
        {
            if (required)
                throw new ConfigException(file, at, "is required", $"add \"{field}\": [ ... ]");
            return [];
        }
        if (value.ValueKind != JsonValueKind.Array)
            throw new ConfigException(file, at, "must be an array of strings", $"write \"{field}\": [\"...\"]");
        var list = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new ConfigException(file, $"{at}[{index}]", "must be a non-empty string", "write the entry as text");
            list.Add(item.GetString()!);
            index++;
        }
        if (list.Count == 0 && !allowEmpty)
            throw new ConfigException(file, at, "is empty", $"list at least one entry or remove \"{field}\"");
        return list;
    }
}

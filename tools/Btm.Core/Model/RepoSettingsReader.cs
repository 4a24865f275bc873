using System.Text.RegularExpressions;
using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>
/// Reads the <c>[Btm]</c> section of cake.config, Cake's INI format (<c>Key=Value</c>, <c>;</c>
/// comments; Cake itself reads the same file, so its rules apply). Unknown keys in [Btm] are errors; other sections belong to Cake and are ignored.
/// </summary>
public static partial class RepoSettingsReader
{
    public static readonly IReadOnlySet<string> KnownKeys = new SortedSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Scope", "Version", "Targets", "Packages", "GlibcFloor", "License", "Repository", "TrustedKeys", "Toolchains", "RemoteCacheUrl", "RemoteCacheTeam", "RemoteCacheMode",
    };

    [GeneratedRegex("^@[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NpmScope();

    // SemVer 2.0.0 (semver.org's recommended expression), as npm requires for a version.
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVer();

    public static bool IsSemVer(string version) => SemVer().IsMatch(version);

    public static RepoSettings Load(string path, string displayPath)
    {
        if (!File.Exists(path))
            throw new ConfigException(displayPath, "(file)", "not found", "run from the repo root or pass --root=<folder holding cake.config>");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? section = null;
        var sections = new List<(string Name, int Line)>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is ';' or '#')
                continue;
            if (line[0] == '[')
            {
                if (!line.EndsWith(']'))
                    throw new ConfigException(displayPath, $"line {lineNumber}", $"'{line}' is not a [section] header", "close it with ']'");
                section = line[1..^1].Trim();
                sections.Add((section, lineNumber));
                continue;
            }
            if (!string.Equals(section, RepoSettings.Section, StringComparison.OrdinalIgnoreCase))
                continue;
            var eq = line.IndexOf('=');
            if (eq <= 0)
                throw new ConfigException(displayPath, $"[Btm] line {lineNumber}", $"'{line}' is not key = value", "write it as Key=Value");
            var key = line[..eq];
            if (key != key.Trim() || key.Any(char.IsWhiteSpace))
                throw new ConfigException(displayPath, $"[Btm] line {lineNumber}", $"'{line}' has spaces around the key, which Cake's parser rejects",
                    $"write it as {key.Trim()}={line[(eq + 1)..].Trim()}");
            if (key.Equals("RemoteCacheToken", StringComparison.OrdinalIgnoreCase) || key.Equals("RemoteCacheSignatureKey", StringComparison.OrdinalIgnoreCase))
                throw new ConfigException(displayPath, $"[Btm] {key}", "is a secret, and cake.config is committed",
                    $"remove the line (and rotate the secret); set BTM_REMOTE_CACHE_{(key.EndsWith("Token", StringComparison.OrdinalIgnoreCase) ? "TOKEN" : "SIGNATURE_KEY")} in the environment or CI secrets instead");
            if (!KnownKeys.Contains(key))
                throw new ConfigException(displayPath, $"[Btm] {key}", "unknown key", $"remove it or use one of: {string.Join(", ", KnownKeys)}");
            var value = line[(eq + 1)..].Trim();
            if (value.Length == 0)
                throw new ConfigException(displayPath, $"[Btm] {key}", "has an empty value, which Cake's parser rejects",
                    $"give it a value or comment the line out with ';'");
            values[key] = value;
        }

        if (!sections.Any(x => string.Equals(x.Name, RepoSettings.Section, StringComparison.OrdinalIgnoreCase)))
        {
            var near = sections.FirstOrDefault(x => Distance(x.Name.ToLowerInvariant(), RepoSettings.Section.ToLowerInvariant()) <= 2);
            if (near.Name is not null)
                throw new ConfigException(displayPath, $"line {near.Line}", $"section [{near.Name}] looks like a misspelling of [{RepoSettings.Section}], and there is no [{RepoSettings.Section}] section",
                    $"rename it to [{RepoSettings.Section}]");
            throw new ConfigException(displayPath, "(file)", $"has no [{RepoSettings.Section}] section",
                $"add one: a line [{RepoSettings.Section}], then Scope=@acme and Version=0.1.0 below it");
        }
        var scope = Required(values, "Scope", displayPath);
        if (!NpmScope().IsMatch(scope))
            throw new ConfigException(displayPath, "[Btm] Scope", $"'{scope}' is not an npm scope", "write it as @name in lowercase, e.g. @acme");
        var version = Required(values, "Version", displayPath);
        if (!SemVer().IsMatch(version))
            throw new ConfigException(displayPath, "[Btm] Version", $"'{version}' is not a SemVer version", "write it as MAJOR.MINOR.PATCH, e.g. 1.2.0");
        var targets = values.TryGetValue("Targets", out var t) ? t : "host";
        var list = targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (list.Count == 0)
            throw new ConfigException(displayPath, "[Btm] Targets", "is empty", "write host or a comma-separated list of platform ids");
        foreach (var item in list)
        {
            if (item != "host" && !PlatformId.TryParse(item, out _, out var error))
                throw new ConfigException(displayPath, "[Btm] Targets", $"unknown platform id: {error}", $"use host or one of: {PlatformId.KnownList}");
        }
        var license = values.TryGetValue("License", out var l) && l.Length > 0 ? l : "UNLICENSED";
        var repository = values.TryGetValue("Repository", out var r) && r.Length > 0 ? r : null;
        var trusted = new List<byte[]>();
        if (values.TryGetValue("TrustedKeys", out var keys))
        {
            foreach (var key in keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    trusted.Add(Release.Ed25519Keys.ReadPublic(key));
                }
                catch (FormatException e)
                {
                    throw new ConfigException(displayPath, "[Btm] TrustedKeys", $"'{key}' is not an Ed25519 public key ({e.Message})",
                        "paste the 64-hex-digit public key the KeyGen task printed");
                }
            }
        }
        var toolchains = new Dictionary<string, string>(StringComparer.Ordinal);
        if (values.TryGetValue("Toolchains", out var chosen))
        {
            foreach (var pair in chosen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var colon = pair.IndexOf(':');
                var target = colon > 0 ? pair[..colon].Trim() : "";
                if (colon <= 0 || colon == pair.Length - 1)
                    throw new ConfigException(displayPath, "[Btm] Toolchains", $"'{pair}' is not <platform>:<toolchain>", "write it as linux-arm64:gnu-cross, comma-separated");
                if (!PlatformId.TryParse(target, out _, out var error))
                    throw new ConfigException(displayPath, "[Btm] Toolchains", $"unknown platform id: {error}", $"use one of: {PlatformId.KnownList}");
                if (!toolchains.TryAdd(target, pair[(colon + 1)..].Trim()))
                    throw new ConfigException(displayPath, "[Btm] Toolchains", $"{target} is given twice", "name each target once");
            }
        }
        var glibc = values.TryGetValue("GlibcFloor", out var g) ? g : GlibcFloor.Default;
        if (GlibcFloor.Problem(glibc) is { } glibcProblem)
            throw new ConfigException(displayPath, "[Btm] GlibcFloor", glibcProblem, "write GlibcFloor=2.17 (the default), a newer 2.x, or host");
        var cacheMode = values.TryGetValue("RemoteCacheMode", out var cm) ? cm : null;
        if (cacheMode is not (null or "off" or "read" or "readwrite"))
            throw new ConfigException(displayPath, "[Btm] RemoteCacheMode", $"'{cacheMode}' is not a remote cache mode", "use off, read or readwrite");
        var folders = values.TryGetValue("Packages", out var pf)
            ? pf.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : [RepoSettings.DefaultPackageFolders];
        foreach (var folder in folders)
        {
            var bare = folder.EndsWith("/*", StringComparison.Ordinal) ? folder[..^2] : folder;
            if (bare.Length == 0 || Path.IsPathRooted(bare) || bare.Contains('\\') || bare.Contains('*') || bare.Split('/').Any(s => s is ".." or "." or ""))
                throw new ConfigException(displayPath, "[Btm] Packages", $"'{folder}' is not a folder of this repo",
                    "write folders relative to cake.config with '/', each a package folder (examples/tool) or a folder of them (packages/*)");
        }
        return new RepoSettings(scope, version, list, license, repository, trusted)
        {
            PackageFolders = folders,
            Toolchains = toolchains,
            GlibcFloor = glibc,
            RemoteCacheUrl = values.GetValueOrDefault("RemoteCacheUrl"),
            RemoteCacheTeam = values.GetValueOrDefault("RemoteCacheTeam"),
            RemoteCacheMode = cacheMode,
        };
    }

    private static string Required(Dictionary<string, string> values, string key, string file) =>
        values.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new ConfigException(file, $"[Btm] {key}", "is required", $"add a line {key}={Example(key)} under [Btm]");

    private static string Example(string key) => key switch
    {
        "Scope" => "@acme",
        "Version" => "0.1.0",
        _ => "<value>",
    };

    /// <summary>Levenshtein distance, for naming a misspelt section.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}

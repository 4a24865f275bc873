using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core.Diagnostics;

namespace Btm.Build.Host;

/// <summary>
/// Parses <c>--name=value</c>, <c>--name value</c> and bare flags. Every entry point (build.sh,
/// build.ps1, build.cake) hands its arguments here unchanged, so they all mean the same thing.
/// </summary>
public static class HostOptionsParser
{
    public sealed record Option(string Name, string? ValueName, string Help);

    public static readonly IReadOnlyList<Option> Options =
    [
        new("target", "<task>", "task to run (default Build); --target=Tasks lists them"),
        new("package", "<a,b>", "build these packages and their dependencies (default: all)"),
        new("platform", "<ids>", "comma-separated platform ids, host, or all (each package's targets); default: cake.config Targets"),
        new("mode", "dev|prod", "dev keeps symbols; prod optimizes and strips (or BUILD_MODE; default dev, prod for Release)"),
        new("force", null, "ignore checkpoints and rebuild every stage"),
        new("jobs", "<n>", "build up to n units at once (default: the number of cores; 1: one after another)"),
        new("skip-unavailable", null, "list targets whose toolchain is missing as skipped instead of failing"),
        new("verbosity", "<level>", "quiet, minimal, normal, verbose or diagnostic"),
        new("root", "<dir>", "repo root (default: the nearest folder up from here with cake.config)"),
        new("summary", "<file>", "also write the build summary as JSON to this file"),
        new("signing-key", "<file>", "Ed25519 private key (PEM) that signs the manifest (or BTM_SIGNING_KEY); KeyGen writes a new one here"),
        new("authenticode-cert", "<file>", "PKCS#12 code-signing certificate for win32 programs and installers (or BTM_AUTHENTICODE_CERT, BTM_AUTHENTICODE_CERT_BASE64; password in BTM_AUTHENTICODE_PASSWORD)"),
        new("authenticode-timestamp", "<url>", "RFC 3161 timestamp server for Authenticode signatures (or BTM_AUTHENTICODE_TIMESTAMP_URL)"),
        new("allow-unsigned", null, "let Verify and the release path accept an unsigned manifest"),
        new("registry", "<url>|local", "where Publish sends the release (default local: a verdaccio storing under artifacts/registry); token from NPM_TOKEN"),
        new("tag", "<dist-tag>", "the dist-tag Publish moves once everything is verified (default latest)"),
        new("legs", "<dirs>", "Assemble: the legs' Package folders (comma-separated; a folder of such folders is read one level down)"),
        new("remote-cache", "off|read|readwrite", "use the shared checkpoint cache (BTM_REMOTE_CACHE_URL); default readwrite when one is configured, read never uploads"),
        new("offline", null, "take pinned sources from the download cache only; name what is missing instead of fetching"),
        new("dry-run", null, "Publish: run the preflight and `npm publish --dry-run`, print the plan, write nothing"),
        new("partial", null, "Package, Release, Publish: release fewer platforms than a package declares (said loudly, recorded in the manifest); Release then builds cake.config's Targets"),
        new("reset", null, "Registry: empty the local registry (artifacts/registry) before serving it"),
        new("help", null, "show this help"),
    ];

    private static readonly HashSet<string> Flags = ["force", "skip-unavailable", "help", "allow-unsigned", "dry-run", "offline", "partial", "reset"];

    public static HostOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "-?" or "/?")
                arg = "--help";
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}': options look like --name=value (see --help)");
            var body = arg[2..];
            string name;
            string? value;
            var eq = body.IndexOf('=');
            if (eq >= 0)
            {
                name = body[..eq];
                value = body[(eq + 1)..];
            }
            else
            {
                name = body;
                value = null;
            }
            var option = Options.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new UsageException($"unknown option --{name}{Suggest(name)} (see --help)");
            if (value is null)
            {
                if (Flags.Contains(option.Name))
                    value = "true";
                else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    value = args[++i];
                else
                    throw new UsageException($"--{option.Name} needs a value: --{option.Name}={option.ValueName}");
            }
            if (values.ContainsKey(option.Name))
                throw new UsageException($"--{option.Name} is given twice; give it once (lists are comma-separated)");
            values[option.Name] = value;
        }

        var options = new HostOptions { Arguments = values };
        if (values.TryGetValue("target", out var target))
            options = options with { Target = target };
        if (values.TryGetValue("package", out var packages))
            options = options with { Packages = SplitList(packages, "package") };
        if (values.TryGetValue("platform", out var platforms))
        {
            options = platforms.Trim() == "all"
                ? options with { AllPlatforms = true }
                : options with { Platforms = ParsePlatforms(platforms) };
        }
        var mode = values.TryGetValue("mode", out var m) ? m : environment("BUILD_MODE");
        var release = string.Equals(options.Target, "Release", StringComparison.OrdinalIgnoreCase);
        // The release job ships what users run: optimized and stripped, unless asked otherwise.
        if (string.IsNullOrEmpty(mode) && release)
            mode = BuildMode.Prod.Id;
        if (!string.IsNullOrEmpty(mode))
        {
            options = options with
            {
                Mode = BuildMode.TryParse(mode)
                    ?? throw new UsageException($"mode '{mode}' is unknown{(values.ContainsKey("mode") ? "" : " (from BUILD_MODE)")}: use dev or prod"),
            };
        }
        options = options with
        {
            Force = Flag(values, "force"),
            SkipUnavailable = Flag(values, "skip-unavailable"),
            Help = Flag(values, "help"),
            AllowUnsigned = Flag(values, "allow-unsigned"),
            DryRun = Flag(values, "dry-run"),
            Offline = Flag(values, "offline"),
            Partial = Flag(values, "partial"),
            Reset = Flag(values, "reset"),
        };
        // What a Release implies, said once here as options; no task compares the target's name.
        options = options with
        {
            // Its versions can never gain a platform later: every declared one, unless --partial.
            AllPlatforms = options.AllPlatforms || release && options.Platforms.Count == 0 && !options.Partial,
            // A fresh machine's main command installs what it needs itself; so does CI.
            InstallPrerequisites = release || string.Equals(environment("CI"), "true", StringComparison.OrdinalIgnoreCase),
            SignManifest = release,
        };
        if (values.TryGetValue("verbosity", out var verbosity))
        {
            options = options with
            {
                Verbosity = verbosity.ToLowerInvariant() switch
                {
                    "quiet" or "q" => Verbosity.Quiet,
                    "minimal" or "m" => Verbosity.Minimal,
                    "normal" or "n" => Verbosity.Normal,
                    "verbose" or "v" => Verbosity.Verbose,
                    "diagnostic" or "diag" or "d" => Verbosity.Diagnostic,
                    _ => throw new UsageException($"verbosity '{verbosity}' is unknown: use quiet, minimal, normal, verbose or diagnostic"),
                },
            };
        }
        if (values.TryGetValue("jobs", out var jobs))
        {
            if (!int.TryParse(jobs, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1 || n > 256)
                throw new UsageException($"--jobs={jobs}: give a whole number from 1 to 256 (1 builds one unit at a time)");
            options = options with { Jobs = n };
        }
        if (values.TryGetValue("root", out var root))
            options = options with { Root = root };
        if (values.TryGetValue("summary", out var summary))
            options = options with { SummaryPath = summary };
        if (values.TryGetValue("registry", out var registry))
        {
            if (registry != "local" && !(Uri.TryCreate(registry, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                throw new UsageException($"--registry={registry}: use local or an http(s) URL like https://registry.npmjs.org/");
            options = options with { Registry = registry, RegistryGiven = true };
        }
        if (values.TryGetValue("tag", out var tag))
        {
            if (tag.Length == 0 || tag.Any(c => char.IsWhiteSpace(c) || c is '@' or '/') || System.Text.RegularExpressions.Regex.IsMatch(tag, @"^v?\d"))
                throw new UsageException($"--tag={tag}: a dist-tag is a word like latest or next (npm refuses tags that look like versions)");
            options = options with { Tag = tag };
        }
        if (values.TryGetValue("legs", out var legs))
            options = options with { Legs = SplitList(legs, "legs") };
        if (values.TryGetValue("remote-cache", out var remoteCache))
        {
            if (remoteCache is not ("off" or "read" or "readwrite"))
                throw new UsageException($"--remote-cache={remoteCache}: use off, read or readwrite");
            options = options with { RemoteCache = remoteCache };
        }
        if (values.TryGetValue("signing-key", out var signingKey))
            options = options with { SigningKeyPath = signingKey };
        if (values.TryGetValue("authenticode-cert", out var authenticodeCert))
            options = options with { AuthenticodeCertPath = authenticodeCert };
        if (values.TryGetValue("authenticode-timestamp", out var timestamp))
        {
            if (!Uri.TryCreate(timestamp, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new UsageException($"--authenticode-timestamp={timestamp}: give the timestamp server's http(s) URL, e.g. http://timestamp.digicert.com");
            options = options with { AuthenticodeTimestampUrl = timestamp };
        }
        return options;
    }

    private static bool Flag(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var v) && (v.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "" => true,
            "false" or "0" or "no" => false,
            _ => throw new UsageException($"--{name}={v}: use --{name}, --{name}=true or --{name}=false"),
        });

    private static List<string> SplitList(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return items.Count > 0 ? items : throw new UsageException($"--{option} is empty: give a comma-separated list");
    }

    private static List<PlatformId> ParsePlatforms(string text)
    {
        var result = new List<PlatformId>();
        foreach (var item in SplitList(text, "platform"))
        {
            var id = item == "host" ? HostPlatform.Detect()
                : PlatformId.TryParse(item, out var parsed, out var error) ? parsed
                : throw new UsageException($"--platform: {error}; use host or one of: {PlatformId.KnownList}");
            if (!result.Contains(id))
                result.Add(id);
        }
        return result;
    }

    private static string Suggest(string name)
    {
        var best = Options.MinBy(o => Distance(o.Name, name.ToLowerInvariant()))!;
        return Distance(best.Name, name.ToLowerInvariant()) <= 3 ? $"; did you mean --{best.Name}?" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

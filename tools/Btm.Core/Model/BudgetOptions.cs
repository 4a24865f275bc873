using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>
/// btm.json "budgets": limits a release must meet, for every target and per target
/// ("targets": { "win32-x64": { … } } overrides field by field). Verify measures each one and
/// fails the release naming the budget, the limit and the value.
/// </summary>
public sealed partial record Budget(long? MaxSize, long? MaxCompressedSize, Version? GlibcFloor, Version? MacosMin, Version? WindowsMin)
{
    public static readonly Budget None = new(null, null, null, null, null);

    /// <summary>Median wall time of the verify probe, in ms (targets this host runs natively).</summary>
    public double? MaxStartupMs { get; init; }

    /// <summary>Peak resident memory of the verify probe, in MiB (targets this host runs natively).</summary>
    public double? MaxRssMiB { get; init; }

    /// <summary>The probe's median time ÷ <see cref="StartupReference"/>'s, run in turn.</summary>
    public double? MaxStartupRatio { get; init; }

    /// <summary>A program on PATH and its arguments: what <see cref="MaxStartupRatio"/> compares against.</summary>
    public IReadOnlyList<string>? StartupReference { get; init; }

    public bool IsEmpty => this == None;

    /// <summary>Whether measuring this budget runs the program.</summary>
    public bool RunsProbe => MaxStartupMs is not null || MaxRssMiB is not null || MaxStartupRatio is not null;

    private Budget Over(Budget general) => new(MaxSize ?? general.MaxSize, MaxCompressedSize ?? general.MaxCompressedSize,
        GlibcFloor ?? general.GlibcFloor, MacosMin ?? general.MacosMin, WindowsMin ?? general.WindowsMin)
    {
        MaxStartupMs = MaxStartupMs ?? general.MaxStartupMs,
        MaxRssMiB = MaxRssMiB ?? general.MaxRssMiB,
        MaxStartupRatio = MaxStartupRatio ?? general.MaxStartupRatio,
        StartupReference = StartupReference ?? general.StartupReference,
    };

    private static readonly string[] Fields = ["maxSize", "maxCompressedSize", "glibcFloor", "macosMin", "windowsMin", "maxStartupMs", "maxRssMiB", "maxStartupRatio", "startupReference"];

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$")]
    private static partial Regex Size();

    [GeneratedRegex(@"^\d+\.\d+(\.\d+)?$")]
    private static partial Regex VersionText();

    /// <summary>The budgets of one package: the general one, and per target the merged one.</summary>
    public sealed record Set(Budget General, IReadOnlyDictionary<string, Budget> Targets)
    {
        public Budget For(PlatformId platform) => Targets.TryGetValue(platform.ToString(), out var b) ? b.Over(General) : General;
    }

    internal static Set Read(JsonElement element, string file)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, "budgets", "must be an object", "write \"budgets\": { \"maxCompressedSize\": \"50MB\" }");
        var general = ReadOne(element, file, "budgets", allowTargets: true);
        var targets = new Dictionary<string, Budget>(StringComparer.Ordinal);
        if (element.TryGetProperty("targets", out var perTarget))
        {
            if (perTarget.ValueKind != JsonValueKind.Object)
                throw new ConfigException(file, "budgets.targets", "must be an object of platform ids", "write \"targets\": { \"win32-x64\": { \"maxSize\": \"20MB\" } }");
            foreach (var target in perTarget.EnumerateObject())
            {
                if (!PlatformId.TryParse(target.Name, out _, out var error))
                    throw new ConfigException(file, $"budgets.targets.{target.Name}", error, $"use one of {PlatformId.KnownList}");
                if (target.Value.ValueKind != JsonValueKind.Object)
                    throw new ConfigException(file, $"budgets.targets.{target.Name}", "must be an object", "write { \"maxSize\": \"20MB\" }");
                targets[target.Name] = ReadOne(target.Value, file, $"budgets.targets.{target.Name}", allowTargets: false);
            }
        }
        var set = new Set(general, targets);
        foreach (var (name, budget) in targets.Select(t => (t.Key, set.For(PlatformId.Parse(t.Key)))).Prepend(("", general)))
        {
            if (budget.MaxStartupRatio is not null && budget.StartupReference is null)
                throw new ConfigException(file, name == "" ? "budgets.maxStartupRatio" : $"budgets.targets.{name}.maxStartupRatio", "has nothing to compare against",
                    "add \"startupReference\": [\"node\", \"-e\", \"0\"] (a program on PATH and its arguments)");
        }
        return set;
    }

    private static Budget ReadOne(JsonElement element, string file, string at, bool allowTargets)
    {
        PackageManifestReader.Known(element, allowTargets ? [.. Fields, "targets"] : Fields, file, at);
        return new Budget(Bytes(element, "maxSize", file, at), Bytes(element, "maxCompressedSize", file, at),
            VersionOf(element, "glibcFloor", file, at, "2.17"), VersionOf(element, "macosMin", file, at, "10.15"), VersionOf(element, "windowsMin", file, at, "10.0"))
        {
            MaxStartupMs = Positive(element, "maxStartupMs", file, at, "500"),
            MaxRssMiB = Positive(element, "maxRssMiB", file, at, "100"),
            MaxStartupRatio = Positive(element, "maxStartupRatio", file, at, "1.5"),
            StartupReference = Command(element, "startupReference", file, at),
        };
    }

    private static double? Positive(JsonElement element, string field, string file, string at, string example)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.GetDouble() is > 0 and var n && double.IsFinite(n))
            return n;
        throw new ConfigException(file, $"{at}.{field}", $"'{value}' is not a positive number", $"write a number like {example}");
    }

    private static IReadOnlyList<string>? Command(JsonElement element, string field, string file, string at)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String && v.GetString() != ""))
            return [.. value.EnumerateArray().Select(v => v.GetString()!)];
        throw new ConfigException(file, $"{at}.{field}", "must be a program and its arguments", "write [\"node\", \"-e\", \"0\"]: the program is found on PATH, no shell runs it");
    }

    /// <summary>Bytes as a number, or "50MB" (10^6), "50MiB" (2^20), "KB", "GB" and their binary forms.</summary>
    private static long? Bytes(JsonElement element, string field, string file, string at)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0)
            return n;
        if (value.ValueKind == JsonValueKind.String && Size().Match(value.GetString()!.Trim()) is { Success: true } m)
        {
            var unit = m.Groups[2].Value switch { "KB" => 1e3, "MB" => 1e6, "GB" => 1e9, "KiB" => 1024.0, "MiB" => 1024.0 * 1024, "GiB" => 1024.0 * 1024 * 1024, _ => 1 };
            var bytes = (long)(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * unit);
            if (bytes > 0)
                return bytes;
        }
        throw new ConfigException(file, $"{at}.{field}", $"'{value}' is not a size", "write bytes (52428800) or a size like \"50MB\" or \"48MiB\"");
    }

    private static Version? VersionOf(JsonElement element, string field, string file, string at, string example)
    {
        if (!element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.String && VersionText().IsMatch(value.GetString()!))
            return Version.Parse(value.GetString()!);
        throw new ConfigException(file, $"{at}.{field}", $"'{value}' is not a version", $"write it like \"{example}\"");
    }

    /// <summary>"50.0 MB" style, for the budget table.</summary>
    public static string Human(long bytes) => bytes >= 1_000_000 ? $"{bytes / 1e6:0.0} MB" : bytes >= 1000 ? $"{bytes / 1e3:0.0} kB" : $"{bytes} B";
}

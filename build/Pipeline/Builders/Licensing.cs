using System.Text;
using Btm.Core;
using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>Someone else's code shipped inside a package: a source or a runtime, with its licence.</summary>
/// <param name="Field">Where btm.json declares it, for messages ("sources[0]", "sea.runtimes").</param>
public sealed record ShippedComponent(string Name, string? Version, string License, string Origin, string Field)
{
    /// <summary>The source it unpacks from, whose tree holds its texts; null for a builder's runtime.</summary>
    public SourceSpec? Source { get; init; }
}

/// <summary>
/// What a package's licence really is: its own code's (btm.json "license", else cake.config's)
/// plus every component it ships (sources that declare a licence, a builder's runtime). The
/// published license field is their SPDX conjunction; each tarball carries the texts (LICENSE for
/// its own, licenses/&lt;component&gt;/ for the rest) and THIRD-PARTY-NOTICES.md listing them.
/// A component without a licence stops the build: shipping it would be a licence we cannot state.
/// </summary>
public static class Licensing
{
    public const string NoticesFile = "THIRD-PARTY-NOTICES.md";
    public const string LicensesFolder = "licenses";

    /// <summary>The components a unit ships besides its own code; throws naming the btm.json field when one has no licence.</summary>
    public static IReadOnlyList<ShippedComponent> Components(BuildUnit unit)
    {
        var package = unit.Package;
        var list = new List<ShippedComponent>();
        for (var i = 0; i < package.Sources.Count; i++)
        {
            var source = package.Sources[i];
            if (source.License is { } license)
            {
                list.Add(new ShippedComponent(source.Component, source.Version, license, Origin(source), $"sources[{i}]") { Source = source });
                continue;
            }
            // A package that states its own licence is an upstream project brought in whole: its sources are it.
            if (package.License is null)
                throw new ConfigException(package.ManifestPath, $"sources[{i}].license",
                    $"{source.Component} ships inside {package.Name} but declares no licence, and the package's own (cake.config License) covers only our code",
                    $"add \"license\": \"<SPDX expression of {source.Component}>\" (and \"licenseFiles\" when its texts are not at its root)");
        }
        list.AddRange(unit.Builder.RuntimeComponents(unit));
        return list;
    }

    /// <summary>The SPDX expression of everything a unit ships: its own licence AND each component's.</summary>
    public static string Expression(RepoSettings settings, BuildUnit unit)
    {
        var parts = new List<string> { unit.Package.License ?? settings.License };
        parts.AddRange(Components(unit).Select(c => c.License));
        var distinct = parts.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : string.Join(" AND ", distinct.Select(Group));
    }

    private static string Group(string expression) =>
        expression.Contains(' ') && !(expression.StartsWith('(') && expression.EndsWith(')')) ? $"({expression})" : expression;

    private static string Origin(SourceSpec source)
    {
        var where = source.Debian is { } debian ? $"Debian source package {debian} ({source.File})" : source.Urls.FirstOrDefault() ?? source.File;
        return $"{where}, sha256 {source.Sha256}";
    }

    /// <summary>
    /// Places the licence texts under <paramref name="filesDir"/>: the package's own (its folder's
    /// LICENSE/COPYING/NOTICE, else the repo's LICENSE for cake.config's licence, else for an upstream
    /// project those at its source roots), each component's under licenses/&lt;name&gt;/, and the notices.
    /// </summary>
    /// <param name="sourceRoot">Where sources unpacked (the unit's source tree); null for a builder without sources.</param>
    /// <param name="runtimeTexts">Licence texts of the builder's runtime components, by component name.</param>
    public static void Collect(BuildContext context, BuildUnit unit, string? sourceRoot, string filesDir,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? runtimeTexts = null)
    {
        var package = unit.Package;
        var components = Components(unit);
        var own = Legal(package.Directory);
        if (own.Count == 0 && package.License is null && File.Exists(Path.Combine(context.RepoRoot, "LICENSE")))
            own = [Path.Combine(context.RepoRoot, "LICENSE")];
        if (own.Count == 0 && package.License is not null && sourceRoot is not null)
        {
            // An upstream project's own texts: what its sources list (Lua keeps its licence in doc/readme.html), else their root legal files.
            var upstream = package.Sources.Where(s => s.License is null).ToList();
            own = upstream.SelectMany(s => s.LicenseFiles.Select(f => Path.Combine(sourceRoot, s.Into, f))).Where(File.Exists).ToList();
            if (own.Count == 0)
                own = new[] { sourceRoot }.Concat(upstream.Select(s => Path.Combine(sourceRoot, s.Into)))
                    .Distinct().SelectMany(Legal).GroupBy(Path.GetFileName).Select(g => g.First()).ToList();
        }
        if (own.Count == 0)
            throw new ConfigException(package.ManifestPath, "license",
                $"no licence text for {package.Name}'s own licence ({package.License ?? context.Settings.License}) would ship",
                package.License is null
                    ? "add a LICENSE file to the package folder, or the repo's LICENSE beside cake.config"
                    : "name the upstream's licence texts in its source's \"licenseFiles\" (none sat at its root), or add a LICENSE file to the package folder");
        // At the root under a legal name, so npm packs it and a reader finds it: doc/readme.html becomes LICENSE-readme.html.
        own = own.Select(file =>
        {
            var name = Path.GetFileName(file);
            var shipped = Path.Combine(filesDir, UnitOutputs.IsLegal(name) ? name : $"LICENSE-{name}");
            Place(file, shipped);
            return shipped;
        }).ToList();

        var rows = new List<string>();
        foreach (var component in components)
        {
            var texts = new List<string>();
            if (component.Source is { } source)
            {
                var root = Path.Combine(sourceRoot ?? throw new BuildFailedException($"{unit}: sources were not unpacked"), source.Into);
                texts = source.LicenseFiles.Count > 0
                    ? source.LicenseFiles.Select(f => Path.Combine(root, f)).ToList()
                    : Legal(root);
                var gone = texts.FirstOrDefault(t => !File.Exists(t));
                if (gone is not null || texts.Count == 0)
                    throw new ConfigException(package.ManifestPath, $"{component.Field}.licenseFiles",
                        gone is not null ? $"'{Path.GetRelativePath(root, gone)}' is not in {component.Name}" : $"{component.Name} has no LICENSE, COPYING or NOTICE file at its root",
                        "list its licence texts, relative to where it unpacks (\"licenseFiles\": [\"doc/COPYRIGHT\"])");
            }
            else if (runtimeTexts?.GetValueOrDefault(component.Name) is { Count: > 0 } given)
            {
                texts = [.. given];
            }
            else
            {
                throw new BuildFailedException($"{unit}: the runtime {component.Name} ({component.License}) ships without its licence text");
            }
            var folder = $"{LicensesFolder}/{component.Name}";
            foreach (var text in texts)
                Place(text, Path.Combine(filesDir, folder, Path.GetFileName(text)));
            rows.Add($"| {component.Name} | {component.Version ?? "—"} | {component.License} | {component.Origin} | " +
                string.Join(", ", texts.Select(t => $"{folder}/{Path.GetFileName(t)}")) + " |");
        }
        if (rows.Count == 0)
            return;
        var notices = new StringBuilder()
            .Append("# Third-party notices\n\n")
            .Append($"{package.Name} {context.VersionOf(package)} is under {package.License ?? context.Settings.License} (")
            .Append(string.Join(", ", own.Select(Path.GetFileName))).Append("). It ships these components, each under its own licence, ")
            .Append($"so the package as a whole is under `{Expression(context.Settings, unit)}`.\n\n")
            .Append("| component | version | licence | origin | texts |\n|---|---|---|---|---|\n")
            .Append(string.Join('\n', rows)).Append('\n');
        Btm.Core.IO.AtomicFile.WriteAllBytes(Path.Combine(filesDir, NoticesFile), Encoding.UTF8.GetBytes(notices.ToString()));
    }

    private static List<string> Legal(string dir) => Directory.Exists(dir)
        ? Directory.EnumerateFiles(dir).Where(f => UnitOutputs.IsLegal(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList()
        : [];

    private static void Place(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}

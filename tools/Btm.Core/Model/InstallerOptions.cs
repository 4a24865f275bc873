using System.Text.Json;

namespace Btm.Core.Model;

/// <summary>
/// btm.json "installers": which installers Package makes beside the npm packages and what their
/// metadata says (docs/installers.md). The formats a target gets follow from its platform.
/// </summary>
public sealed record InstallerOptions(
    IReadOnlySet<string> Formats,
    string Maintainer,
    string? Homepage,
    string Section,
    string? DownloadUrl)
{
    /// <summary>Per target: deb and rpm for linux glibc, nsis and zip for win32, tar.gz for linux and darwin.</summary>
    public const string Deb = "deb", Rpm = "rpm", Nsis = "nsis", Zip = "zip", Tarball = "tar.gz";

    /// <summary>Per package, from the archives above and their hashes: a Homebrew formula (darwin, linux) and a Scoop manifest (win32).</summary>
    public const string Homebrew = "homebrew", Scoop = "scoop";

    public static readonly IReadOnlyList<string> All = [Deb, Rpm, Nsis, Zip, Tarball, Homebrew, Scoop];

    public bool Makes(string format) => Formats.Contains(format);

    private static readonly string[] Fields = ["formats", "maintainer", "homepage", "section", "downloadUrl"];

    internal static InstallerOptions Read(JsonElement element, string file)
    {
        var reader = new SectionReader(element, file, "installers");
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException(file, "installers", "must be an object", "write \"installers\": { \"maintainer\": \"Name <mail@example.org>\" }");
        reader.Known(Fields);
        var formats = reader.Has("formats") ? reader.Strings("formats", allowEmpty: false) : All;
        foreach (var (format, index) in formats.Select((f, i) => (f, i)))
        {
            if (!All.Contains(format))
                throw new ConfigException(file, $"installers.formats[{index}]", $"'{format}' is not an installer format",
                    $"use some of {string.Join(", ", All)} (absent: all that apply to the package's targets)");
        }
        var maintainer = reader.String("maintainer");
        if (!System.Text.RegularExpressions.Regex.IsMatch(maintainer, @"^[^<>\n]+ <[^<>@\s]+@[^<>\s]+>$"))
            throw reader.Error("maintainer", $"'{maintainer}' is not \"Name <address>\" (Debian's control file and rpm's Packager need both)",
                "write it like \"BTM maintainers <btm@example.org>\"");
        var homepage = reader.OptionalString("homepage");
        if (homepage is not null && !IsHttps(homepage))
            throw reader.Error("homepage", $"'{homepage}' is not an https:// URL", "write the project's web page, e.g. https://example.org/tool");
        var section = reader.String("section", "utils");
        if (!System.Text.RegularExpressions.Regex.IsMatch(section, "^[a-z0-9][a-z0-9+./-]*$"))
            throw reader.Error("section", $"'{section}' is not a Debian section", "use e.g. utils, devel, admin");
        var downloadUrl = reader.OptionalString("downloadUrl");
        if (downloadUrl is not null && (!IsHttps(downloadUrl) || !downloadUrl.Contains("{file}", StringComparison.Ordinal)))
            throw reader.Error("downloadUrl", $"'{downloadUrl}' must be an https:// URL containing {{file}} (and usually {{version}})",
                "write where the release's files are served, e.g. https://github.com/me/tool/releases/download/v{version}/{file}");
        var set = formats.ToHashSet(StringComparer.Ordinal);
        if ((set.Contains(Homebrew) || set.Contains(Scoop)) && downloadUrl is null && reader.Has("formats"))
            throw reader.Error("downloadUrl", "is required for the homebrew and scoop formats: they tell the client where each archive is",
                "add \"downloadUrl\": \"https://…/v{version}/{file}\", or leave homebrew and scoop out of \"formats\"");
        if (downloadUrl is null)
        {
            set.Remove(Homebrew);
            set.Remove(Scoop);
        }
        return new InstallerOptions(set, maintainer, homepage, section, downloadUrl);
    }

    private static bool IsHttps(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && !string.IsNullOrEmpty(uri.Host);
}

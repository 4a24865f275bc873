using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Btm.Build.Release.Installers;

/// <summary>
/// The file-system layout .deb and .rpm share (the FHS): programs in /usr/bin, man pages gzipped
/// under /usr/share/man/man&lt;n&gt;, the rest of the docs and the notices under the package's doc
/// folder, licence texts where each format wants them. Modes are set, never inherited from umask.
/// </summary>
public static partial class LinuxTree
{
    [GeneratedRegex(@"(^|/)[^/]+\.([1-8])$")]
    private static partial Regex ManPage();

    /// <summary>Lays the payload out under <paramref name="root"/>; returns the installed paths ("/usr/bin/x"), sorted.</summary>
    /// <param name="licenseDir">Where licence texts go ("/usr/share/doc/x" for Debian, "/usr/share/licenses/x" for rpm).</param>
    public static List<string> Lay(InstallerJob job, string root, string docDir, string licenseDir)
    {
        var installed = new List<string>();
        foreach (var binary in job.Binaries)
            installed.Add(Place(root, "/usr/bin/" + binary, File.ReadAllBytes(Path.Combine(job.Staged, "bin", binary)), executable: true));
        foreach (var doc in job.Docs)
        {
            var bytes = File.ReadAllBytes(job.PathOf(doc));
            if (ManPage().Match(doc) is { Success: true } man)
                installed.Add(Place(root, $"/usr/share/man/man{man.Groups[2].Value}/{Path.GetFileName(doc)}.gz", Gzip(bytes), executable: false));
            else
                installed.Add(Place(root, $"{docDir}/{doc}", bytes, executable: false));
        }
        foreach (var legal in job.Legal)
            installed.Add(Place(root, $"{licenseDir}/{legal}", File.ReadAllBytes(job.PathOf(legal)), executable: false));
        installed.Sort(StringComparer.Ordinal);
        return installed;
    }

    public static string Place(string root, string path, byte[] bytes, bool executable)
    {
        var full = Path.Combine(root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(full, executable ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4);
        return path;
    }

    /// <summary>Every folder 0755 and every timestamp the release's, so the archive's bytes do not depend on this machine.</summary>
    public static void Settle(string root, DateTimeOffset time)
    {
        if (!OperatingSystem.IsWindows())
        {
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Prepend(root))
                File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Prepend(root))
            File.SetLastWriteTimeUtc(entry, time.UtcDateTime);
    }

    /// <summary>gzip -9n: no name, no time in the header (what Debian policy asks of man pages and changelogs).</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(bytes);
        return buffer.ToArray();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// A one-line summary under 80 characters (Debian's synopsis, rpm's Summary): the description up
    /// to its first clause, or cut at a word, without a final full stop.
    /// </summary>
    public static string Synopsis(string description)
    {
        var text = description.Trim().TrimEnd('.');
        if (text.Length < 80)
            return text;
        foreach (var mark in new[] { ": ", "; ", ", ", " - " })
        {
            var at = text.IndexOf(mark, StringComparison.Ordinal);
            if (at is > 10 and < 80)
                return text[..at];
        }
        var cut = text.LastIndexOf(' ', 76);
        return text[..(cut > 10 ? cut : 76)];
    }

    /// <summary>Text wrapped at words into lines of at most <paramref name="width"/> characters.</summary>
    public static string Wrap(string text, int width = 78)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r\n", "\n").Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > 0 && line.Length + 1 + word.Length > width)
                {
                    lines.Add(line);
                    line = word;
                }
                else
                {
                    line = line.Length == 0 ? word : line + " " + word;
                }
            }
            lines.Add(line);
        }
        return string.Join("\n", lines);
    }

    /// <summary>A long description as control files and changelogs want it: each line indented one space, empty lines as " .".</summary>
    public static string Indent(string text) =>
        string.Join("\n", text.Replace("\r\n", "\n").TrimEnd().Split('\n').Select(l => l.Trim().Length == 0 ? " ." : " " + l.TrimEnd()));
}

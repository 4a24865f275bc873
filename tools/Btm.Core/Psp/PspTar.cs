using System.Text;

namespace Btm.Core.Psp;

/// <summary>
/// The slots' tar: deterministic POSIX ustar of regular files and folders only (docs/psp-format.md),
/// written from a folder and read back entry by entry with every rule checked.
/// </summary>
public static class PspTar
{
    private const int Block = 512;

    /// <summary>
    /// Writes <paramref name="folder"/> as a slot's tar. A symbolic link whose target stays inside the
    /// folder is stored as a copy of its target; one leading out, a hard-linked file, a fifo, a socket
    /// or a device is refused, naming it.
    /// </summary>
    public static void Write(string folder, Stream output, string slot)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(root))
            throw new PspException($"slot {slot}", $"{folder} is not a folder");
        var realRoot = Path.GetFullPath(new DirectoryInfo(root).ResolveLinkTarget(true)?.FullName ?? root);
        var entries = new List<(string Path, string? Source, bool Executable)>();
        Collect(root, realRoot, "", entries, slot);
        RefuseSpecialFiles(root, slot);
        foreach (var (path, source, executable) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            if (source is null)
            {
                WriteHeader(output, path, '5', 0, 0x1ed, slot);
                continue;
            }
            using var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            WriteHeader(output, path, '0', file.Length, executable ? 0x1ed : 0x1a4, slot);
            file.CopyTo(output, 1 << 20);
            var pad = (int)((Block - file.Length % Block) % Block);
            output.Write(new byte[pad]);
        }
        output.Write(new byte[Block * 2]);
    }

    private static void Collect(string dir, string realRoot, string prefix, List<(string, string?, bool)> entries, string slot)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var relative = prefix + entry.Name;
            if (PspFormat.PathProblem(relative) is { } problem)
                throw new PspException($"slot {slot}", $"path {problem}");
            FileSystemInfo target = entry;
            if (entry.LinkTarget is not null)
            {
                var resolved = entry.ResolveLinkTarget(returnFinalTarget: true);
                var real = resolved is null ? null : Path.GetFullPath(resolved.FullName);
                if (real is null || !resolved!.Exists || !(real.StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                    throw new PspException($"slot {slot}", $"{relative} is a symbolic link to {entry.LinkTarget}, outside the slot's folder: copy what it points to into the folder");
                target = resolved;
            }
            if (target is DirectoryInfo sub)
            {
                if (entry.LinkTarget is not null)
                    throw new PspException($"slot {slot}", $"{relative} is a symbolic link to a folder: a slot holds real folders only");
                entries.Add((relative + "/", null, true));
                Collect(sub.FullName, realRoot, relative + "/", entries, slot);
            }
            else
            {
                var mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(target.FullName);
                entries.Add((relative, target.FullName, (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0));
            }
        }
    }

    /// <summary>Hard links, fifos, sockets and devices, found by find(1) in one pass (.NET does not say a file's type or link count).</summary>
    private static void RefuseSpecialFiles(string root, string slot)
    {
        if (OperatingSystem.IsWindows())
            return;
        var start = new System.Diagnostics.ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { root, "(", "-type", "f", "-links", "+1", "-printf", "hard link %P\\n", ")", "-o", "(", "!", "-type", "f", "!", "-type", "d", "!", "-type", "l", "-printf", "special file %P\\n", ")" })
            start.ArgumentList.Add(arg);
        using var find = System.Diagnostics.Process.Start(start)!;
        var found = find.StandardOutput.ReadToEnd();
        find.StandardError.ReadToEnd();
        find.WaitForExit();
        if (find.ExitCode != 0)
            throw new PspException($"slot {slot}", $"find could not list {root} (exit {find.ExitCode})");
        if (found.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first)
            throw new PspException($"slot {slot}", $"{first}: a slot holds regular files and folders only (a hard link would be two files; copy it)");
    }

    private static void WriteHeader(Stream output, string path, char type, long size, int mode, string slot)
    {
        var header = new byte[Block];
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length <= 100)
            bytes.CopyTo(header, 0);
        else
        {
            // ustar splits a long path at a '/' into prefix (155) and name (100).
            var split = -1;
            for (var i = Math.Min(bytes.Length - 1, 155); i > 0; i--)
            {
                if (bytes[i] == '/' && bytes.Length - i - 1 <= 100 && bytes.Length - i - 1 > 0)
                {
                    split = i;
                    break;
                }
            }
            if (split < 0)
                throw new PspException($"slot {slot}", $"path {path} is longer than ustar holds (100 + 155 bytes split at a '/')");
            bytes.AsSpan(split + 1).CopyTo(header);
            bytes.AsSpan(0, split).CopyTo(header.AsSpan(345));
        }
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, size);
        Octal(header, 136, 12, 0);
        header[156] = (byte)type;
        "ustar\000"u8.CopyTo(header.AsSpan(257));
        header[263] = (byte)'0';
        header[264] = (byte)'0';
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = header.Sum(b => (int)b);
        Octal(header, 148, 7, sum);
        header[155] = (byte)' ';
        output.Write(header);
    }

    private static void Octal(byte[] header, int at, int width, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        if (text.Length > width - 1)
            throw new InvalidDataException($"{value} does not fit a tar field of {width} bytes");
        Encoding.ASCII.GetBytes(text).CopyTo(header, at);
        header[at + width - 1] = 0;
    }

    /// <summary>One entry of a slot's tar as read: a folder (Size -1) or a regular file.</summary>
    public sealed record Entry(string Path, long Size, bool Executable);

    /// <summary>
    /// Reads a slot's tar from <paramref name="input"/>, calling <paramref name="file"/> for each
    /// regular file with a stream of exactly its bytes; refuses anything the format does not allow.
    /// </summary>
    public static List<Entry> Read(Stream input, string slot, Action<Entry, Stream>? file = null)
    {
        var region = $"slot {slot}";
        var entries = new List<Entry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var header = new byte[Block];
        while (true)
        {
            if (input.ReadAtLeast(header, Block, throwOnEndOfStream: false) != Block)
                throw new PspException(region, "its tar ends without the two zero blocks (truncated)");
            if (header.All(b => b == 0))
            {
                if (input.ReadAtLeast(header, Block, throwOnEndOfStream: false) != Block || header.Any(b => b != 0))
                    throw new PspException(region, "its tar's end has one zero block, not two");
                if (input.ReadByte() != -1)
                    throw new PspException(region, "bytes follow its tar's end");
                return entries;
            }
            var stored = ParseOctal(header, 148, 8, region, "checksum");
            header.AsSpan(148, 8).Fill((byte)' ');
            if (header.Sum(b => (long)b) != stored)
                throw new PspException(region, $"tar header {entries.Count} has a wrong checksum");
            if (!header.AsSpan(257, 6).SequenceEqual("ustar\0"u8))
                throw new PspException(region, $"tar header {entries.Count} is not ustar");
            var name = CString(header, 0, 100);
            var prefix = CString(header, 345, 155);
            var path = prefix.Length > 0 ? prefix + "/" + name : name;
            var type = (char)header[156];
            var size = ParseOctal(header, 124, 12, region, "size");
            var mode = ParseOctal(header, 100, 8, region, "mode");
            if (type is not ('0' or '\0' or '5'))
            {
                var what = type switch { '1' => "a hard link", '2' => "a symbolic link", '3' or '4' => "a device", '6' => "a fifo", 'x' or 'g' => "a PAX header", 'L' or 'K' => "a GNU long-name header", _ => $"of type '{type}'" };
                throw new PspException(region, $"entry {path} is {what}: a slot holds regular files and folders only");
            }
            var folder = type == '5';
            var clean = folder ? path.TrimEnd('/') : path;
            if (PspFormat.PathProblem(clean) is { } problem)
                throw new PspException(region, $"entry path {problem}");
            if (!seen.Add(clean))
                throw new PspException(region, $"entry {clean} appears twice");
            if (folder && size != 0)
                throw new PspException(region, $"folder {clean} has a size");
            var entry = new Entry(clean, folder ? -1 : size, (mode & 0x49) != 0);
            entries.Add(entry);
            if (folder)
                continue;
            var body = new IO.StreamWindow(input, size);
            file?.Invoke(entry, body);
            body.Skip();
            var pad = (int)((Block - size % Block) % Block);
            if (pad > 0 && input.ReadAtLeast(new byte[pad], pad, throwOnEndOfStream: false) != pad)
                throw new PspException(region, $"entry {clean} is cut short (truncated)");
        }
    }

    private static string CString(byte[] header, int at, int width)
    {
        var span = header.AsSpan(at, width);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    private static long ParseOctal(byte[] header, int at, int width, string region, string field)
    {
        long value = 0;
        var digits = 0;
        foreach (var b in header.AsSpan(at, width))
        {
            if (b is 0 or (byte)' ')
            {
                if (digits > 0)
                    break;
                continue;
            }
            if (b is < (byte)'0' or > (byte)'7')
                throw new PspException(region, $"tar {field} field is not octal");
            value = value * 8 + (b - '0');
            digits++;
        }
        return value;
    }
}

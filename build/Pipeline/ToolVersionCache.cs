using System.Globalization;
using System.Text;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>
/// `--version` output of tools, remembered per executable (symlinks resolved) and keyed on its
/// size and mtime, as ccache's default compiler_check=mtime does: an upgraded or switched
/// compiler is a different file, so it is asked again. Saves a process start per tool per run
/// (cmake --version alone is ~11 ms).
/// </summary>
public sealed class ToolVersionCache(string file)
{
    private Dictionary<string, string>? _entries;
    private bool _dirty;

    public string VersionOutput(string executable) => Output(executable, "--version");

    /// <summary>What <paramref name="executable"/> prints for <paramref name="args"/> (a query that depends only on the executable).</summary>
    public string Output(string executable, params string[] args)
    {
        var resolved = Resolve(executable);
        var info = new FileInfo(resolved);
        var key = string.Join('\t', executable, resolved, info.Length.ToString(CultureInfo.InvariantCulture),
            info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), string.Join(' ', args));
        var entries = Load();
        lock (entries)
        {
            if (entries.TryGetValue(key, out var known))
                return known;
        }
        var (exit, output) = ToolProbe.Run(executable, args);
        var text = exit == 0 ? output : $"({string.Join(' ', args)} exited {exit}) {output}";
        lock (entries)
        {
            entries[key] = text;
            _dirty = true;
        }
        return text;
    }

    /// <summary>Writes new entries back (atomically); a failure to write only costs speed.</summary>
    public void Save()
    {
        if (!_dirty || _entries is null)
            return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            // One entry per line, fields escaped; plain text keeps loading it cheap (JSON
            // deserialization costs more start-up time than the process starts it saves).
            var text = new StringBuilder(Header).Append('\n');
            lock (_entries)
            {
                foreach (var (key, value) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                    text.Append(Escape(key)).Append('\t').Append(Escape(value)).Append('\n');
            }
            AtomicFile.WriteAllBytes(file, Encoding.UTF8.GetBytes(text.ToString()));
            _dirty = false;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private Dictionary<string, string> Load()
    {
        if (_entries is not null)
            return _entries;
        _entries = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(file))
            return _entries;
        var lines = File.ReadAllLines(file);
        if (lines.Length == 0 || lines[0] != Header)
            return _entries; // another format or damaged: rebuilt, never trusted
        foreach (var line in lines.Skip(1))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0)
                _entries[Unescape(line[..tab])] = Unescape(line[(tab + 1)..]);
        }
        return _entries;
    }

    private const string Header = "btm-tool-versions/1";

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");

    private static string Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                result.Append(text[i]);
                continue;
            }
            result.Append(text[++i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', var c => c });
        }
        return result.ToString();
    }

    private static string Resolve(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path;
        }
    }
}

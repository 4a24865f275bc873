namespace Btm.Build.Pipeline;

/// <summary>
/// Finds a library's .pc file the way pkg-config does (PKG_CONFIG_LIBDIR replaces the default
/// path, PKG_CONFIG_PATH goes first) and reads its Version, without starting a process per
/// check: pkg-config's default path is asked once and cached with the tool versions.
/// </summary>
public static class PkgConfigLookup
{
    public sealed record Found(string PcFile, string Version);

    public static Found? Find(string pkgConfig, string library, ToolVersionCache cache)
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable("PKG_CONFIG_PATH") is { Length: > 0 } extra)
            dirs.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var libdir = Environment.GetEnvironmentVariable("PKG_CONFIG_LIBDIR");
        var defaults = libdir ?? cache.Output(pkgConfig, "--variable", "pc_path", "pkg-config");
        dirs.AddRange(defaults.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var dir in dirs)
        {
            var pc = Path.Combine(dir, library + ".pc");
            if (!File.Exists(pc))
                continue;
            var version = File.ReadLines(pc).FirstOrDefault(l => l.StartsWith("Version:", StringComparison.Ordinal))?[8..].Trim();
            // A version built from variables needs pkg-config's own expansion.
            if (version is null || version.Contains('$'))
            {
                var (exit, output) = ToolProbe.Run(pkgConfig, "--modversion", library);
                return exit == 0 ? new Found(pc, output.Split('\n')[0].Trim()) : null;
            }
            return new Found(pc, version);
        }
        return null;
    }
}

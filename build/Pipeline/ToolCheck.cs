using Btm.Core.Model;

namespace Btm.Build.Pipeline;

/// <summary>Checks one tool requirement on this machine: present, and new enough.</summary>
public static class ToolCheck
{
    /// <summary>Null when the tool is fine; otherwise what is wrong and how to fix it on this os.</summary>
    public static (string? Problem, string Found) Check(ToolRequirement tool, string os, ToolVersionCache versions, Func<string, string?> find)
    {
        string version;
        string where;
        if (tool.PkgConfig is not null)
        {
            var pkgConfig = find("pkg-config");
            if (pkgConfig is null)
                return ($"{tool.Name}: pkg-config is needed to find it but is not installed; install pkg-config, then: {tool.InstallHint(os)}", "");
            var found = PkgConfigLookup.Find(pkgConfig, tool.PkgConfig, versions);
            if (found is null)
                return ($"{tool.Name}: library '{tool.PkgConfig}' not found by pkg-config; install it: {tool.InstallHint(os)}", "");
            version = found.Version;
            where = $"pkg-config {tool.PkgConfig}";
        }
        else
        {
            var path = find(tool.Command!);
            if (path is null)
                return ($"{tool.Name}: '{tool.Command}' not found on PATH; install it: {tool.InstallHint(os)}", "");
            where = path;
            version = tool.MinVersion is null ? "" : ToolProbe.ParseVersion(versions.Output(path, tool.VersionArgument)) ?? "?";
        }
        if (tool.MinVersion is not null && !ToolProbe.VersionAtLeast(version, tool.MinVersion))
            return ($"{tool.Name}: version {version} at {where} is older than the {tool.MinVersion} required; upgrade: {tool.InstallHint(os)}", "");
        return (null, $"{tool.Name} {version} ({where})".Replace("  ", " "));
    }
}

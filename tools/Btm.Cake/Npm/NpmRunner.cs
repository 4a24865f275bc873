using Btm.Core;
using System.Text.Json;
using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Npm;

/// <summary>Runs npm with a settings class; one runner serves each npm command's settings.</summary>
public sealed class NpmRunner<TSettings>(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<TSettings>(fileSystem, environment, processRunner, tools)
    where TSettings : NpmSettings
{
    public IReadOnlyList<string> RunNpm(TSettings settings, ProcessArgumentBuilder arguments)
    {
        if (settings.Registry is not null)
            arguments.Append("--registry").AppendQuoted(settings.Registry);
        if (settings.UserConfig is not null)
            arguments.Append("--userconfig").AppendQuoted(settings.UserConfig.MakeAbsolute(CakeEnvironment).FullPath);
        arguments.Append("--no-audit").Append("--no-fund").Append("--no-update-notifier")
            .Append($"--fetch-retries={settings.FetchRetries}").Append("--fetch-retry-mintimeout=1000").Append("--fetch-retry-maxtimeout=3000")
            .Append("--fetch-timeout=60000");
        return RunCaptured(settings, arguments);
    }

    protected override string GetToolName() => "npm";

    protected override IEnumerable<string> GetToolExecutableNames() => ["npm", "npm.cmd"];
}

public static class NpmArguments
{
    public static ProcessArgumentBuilder Pack(NpmPackSettings s, ICakeEnvironment env) => new ProcessArgumentBuilder()
        .Append("pack").AppendQuoted(s.Source.MakeAbsolute(env).FullPath)
        .Append("--pack-destination").AppendQuoted(s.Destination.MakeAbsolute(env).FullPath)
        .Append("--json").Append("--ignore-scripts");

    public static ProcessArgumentBuilder Install(NpmInstallSettings s, ICakeEnvironment env)
    {
        var args = new ProcessArgumentBuilder().Append("install")
            .Append("--prefix").AppendQuoted(s.Prefix.MakeAbsolute(env).FullPath)
            .Append("--ignore-scripts");
        if (s.NoSave)
            args.Append("--no-save").Append("--no-package-lock");
        if (s.Os is not null) args.Append($"--os={s.Os}");
        if (s.Cpu is not null) args.Append($"--cpu={s.Cpu}");
        if (s.Libc is not null) args.Append($"--libc={s.Libc}");
        foreach (var p in s.Packages)
            args.AppendQuoted(p);
        return args;
    }

    /// <summary>The tarball file name from `npm pack --json` output (npm may print notices before the JSON).</summary>
    public static string PackedFileName(IReadOnlyList<string> stdout)
    {
        var text = string.Join('\n', stdout);
        var start = text.IndexOf('[');
        if (start < 0)
            throw new BuildFailedException($"npm pack printed no JSON: {text}");
        using var doc = JsonDocument.Parse(text[start..]);
        return doc.RootElement[0].GetProperty("filename").GetString()!;
    }
}

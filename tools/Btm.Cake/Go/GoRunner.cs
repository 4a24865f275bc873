using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Go;

/// <summary>Runs <c>go build</c> and <c>go test</c>; a failure carries the tail of what go said.</summary>
public sealed class GoRunner<TSettings>(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<TSettings>(fileSystem, environment, processRunner, tools)
    where TSettings : ToolSettings
{
    public IReadOnlyList<string> Run(TSettings settings) => RunCaptured(settings, settings switch
    {
        GoBuildSettings build => BuildArguments(build),
        GoTestSettings test => TestArguments(test),
        _ => throw new ArgumentException($"no go command for {typeof(TSettings).Name}", nameof(settings)),
    });

    public static ProcessArgumentBuilder BuildArguments(GoBuildSettings settings)
    {
        var args = new ProcessArgumentBuilder().Append("build");
        Common(args, settings.TrimPath, settings.BuildVcs, settings.Mod, settings.Tags);
        if (settings.LdFlags.Count > 0)
            args.AppendQuoted("-ldflags=" + string.Join(' ', settings.LdFlags));
        return args.Append("-o").AppendQuoted(settings.Output.FullPath).AppendQuoted(settings.Package);
    }

    public static ProcessArgumentBuilder TestArguments(GoTestSettings settings)
    {
        var args = new ProcessArgumentBuilder().Append("test");
        Common(args, settings.TrimPath, settings.BuildVcs, settings.Mod, settings.Tags);
        // go splits -exec's value into fields itself, honouring quotes.
        if (settings.Exec.Count > 0)
            args.AppendQuoted("-exec=" + string.Join(' ', settings.Exec.Select(a => a.Contains(' ') ? $"'{a}'" : a)));
        foreach (var package in settings.Packages)
            args.AppendQuoted(package);
        return args;
    }

    private static void Common(ProcessArgumentBuilder args, bool trimPath, bool buildVcs, string? mod, IList<string> tags)
    {
        if (trimPath)
            args.Append("-trimpath");
        args.Append(buildVcs ? "-buildvcs=true" : "-buildvcs=false");
        if (mod is not null)
            args.Append("-mod=" + mod);
        if (tags.Count > 0)
            args.AppendQuoted("-tags=" + string.Join(',', tags));
    }

    protected override string GetToolName() => "go";

    protected override IEnumerable<string> GetToolExecutableNames() => ["go", "go.exe"];
}

using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Strip;

public sealed class StripRunner(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<StripSettings>(fileSystem, environment, processRunner, tools)
{
    public void Strip(StripSettings settings)
    {
        // A path (a toolchain's wrapper script) is the tool itself; a name is looked up on PATH.
        if (settings.ToolPath is null && System.IO.Path.IsPathRooted(settings.Executable))
            settings.ToolPath = settings.Executable;
        RunCaptured(settings, BuildArguments(settings, CakeEnvironment));
    }

    public static ProcessArgumentBuilder BuildArguments(StripSettings settings, ICakeEnvironment environment)
    {
        if (settings.Files.Count == 0)
            throw new ArgumentException("strip needs at least one file", nameof(settings));
        var args = new ProcessArgumentBuilder();
        args.Append(settings.Flavor switch
        {
            StripFlavor.Darwin => settings.All ? "-x" : "-S",
            _ => settings.All ? "--strip-all" : "--strip-debug",
        });
        foreach (var file in settings.Files)
            args.AppendQuoted(file.MakeAbsolute(environment).FullPath);
        return args;
    }

    protected override string GetToolName() => "Strip";

    protected override IEnumerable<string> GetToolExecutableNames(StripSettings settings) => [settings.Executable, settings.Executable + ".exe"];

    protected override IEnumerable<string> GetToolExecutableNames() => ["strip", "strip.exe"];
}

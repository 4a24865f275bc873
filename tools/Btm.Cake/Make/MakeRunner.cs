using Btm.Core;
using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Make;

public sealed class MakeRunner(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<MakeSettings>(fileSystem, environment, processRunner, tools)
{
    public void Run(MakeSettings settings) => RunCaptured(settings, BuildArguments(settings, CakeEnvironment));

    public static ProcessArgumentBuilder BuildArguments(MakeSettings settings, ICakeEnvironment environment)
    {
        var dir = settings.Directory.MakeAbsolute(environment).FullPath;
        var makefile = settings.Makefile ?? SelectMakefile(dir, settings.Platform)
            ?? throw new BuildFailedException(
                $"no makefile in {dir}: expected Makefile.{settings.Platform ?? "<platform>"}, Makefile.<os> or Makefile");
        var args = new ProcessArgumentBuilder()
            .Append("-C").AppendQuoted(dir)
            .Append("-f").AppendQuoted(makefile)
            .Append("-j").Append((settings.Jobs == 0 ? Environment.ProcessorCount : settings.Jobs).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in settings.Variables.OrderBy(p => p.Key, StringComparer.Ordinal))
            args.AppendQuoted($"{name}={value}");
        foreach (var target in settings.Targets)
            args.AppendQuoted(target);
        return args;
    }

    /// <summary>The most specific makefile for a platform id, or null when the folder has none.</summary>
    public static string? SelectMakefile(string directory, string? platform)
    {
        var candidates = new List<string>();
        if (platform is not null)
        {
            candidates.Add($"Makefile.{platform}");
            candidates.Add($"Makefile.{platform.Split('-')[0]}");
        }
        candidates.AddRange(["GNUmakefile", "Makefile", "makefile"]);
        return candidates.FirstOrDefault(name => File.Exists(System.IO.Path.Combine(directory, name)));
    }

    protected override string GetToolName() => "Make";

    protected override IEnumerable<string> GetToolExecutableNames(MakeSettings settings) => [settings.Executable, settings.Executable + ".exe"];

    protected override IEnumerable<string> GetToolExecutableNames() => ["make", "make.exe"];
}

using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

public sealed class CMakeBuilder(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<CMakeBuildSettings>(fileSystem, environment, processRunner, tools)
{
    public void Build(CMakeBuildSettings settings) => RunCaptured(settings, BuildArguments(settings, CakeEnvironment));

    public static ProcessArgumentBuilder BuildArguments(CMakeBuildSettings settings, ICakeEnvironment environment)
    {
        var args = new ProcessArgumentBuilder()
            .Append("--build").AppendQuoted(settings.BuildPath.MakeAbsolute(environment).FullPath);
        if (settings.ParallelJobs is { } jobs)
            args.Append("--parallel").Append((jobs == 0 ? Environment.ProcessorCount : jobs).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (settings.Configuration is not null)
            args.Append("--config").AppendQuoted(settings.Configuration);
        foreach (var target in settings.Targets)
            args.Append("--target").AppendQuoted(target);
        if (settings.CleanFirst)
            args.Append("--clean-first");
        return args;
    }

    protected override string GetToolName() => "CMake";

    protected override IEnumerable<string> GetToolExecutableNames() => ["cmake", "cmake.exe"];
}

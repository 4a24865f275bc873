using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

public sealed class CMakeConfigurer(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<CMakeConfigureSettings>(fileSystem, environment, processRunner, tools)
{
    public void Configure(CMakeConfigureSettings settings) => RunCaptured(settings, BuildArguments(settings, CakeEnvironment));

    public static ProcessArgumentBuilder BuildArguments(CMakeConfigureSettings settings, ICakeEnvironment environment)
    {
        var args = new ProcessArgumentBuilder()
            .Append("-S").AppendQuoted(settings.SourcePath.MakeAbsolute(environment).FullPath)
            .Append("-B").AppendQuoted(settings.BuildPath.MakeAbsolute(environment).FullPath);
        if (settings.Generator is not null)
            args.Append("-G").AppendQuoted(settings.Generator);
        if (settings.BuildType is not null)
            args.AppendQuoted($"-DCMAKE_BUILD_TYPE={settings.BuildType}");
        if (settings.ToolchainFile is not null)
            args.AppendQuoted($"-DCMAKE_TOOLCHAIN_FILE={settings.ToolchainFile.MakeAbsolute(environment).FullPath}");
        foreach (var (name, value) in settings.CacheVariables.OrderBy(p => p.Key, StringComparer.Ordinal))
            args.AppendQuoted($"-D{name}={value}");
        foreach (var extra in settings.ExtraArguments)
            args.AppendQuoted(extra);
        return args;
    }

    protected override string GetToolName() => "CMake";

    protected override IEnumerable<string> GetToolExecutableNames() => ["cmake", "cmake.exe"];
}

using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.CMake;

public sealed class CTestRunner(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<CTestSettings>(fileSystem, environment, processRunner, tools)
{
    /// <summary>Runs the tests; returns ctest's stdout (its summary line is the last "tests passed" line).</summary>
    public IReadOnlyList<string> Test(CTestSettings settings) => RunCaptured(settings, BuildArguments(settings, CakeEnvironment));

    public static ProcessArgumentBuilder BuildArguments(CTestSettings settings, ICakeEnvironment environment)
    {
        var args = new ProcessArgumentBuilder()
            .Append("--test-dir").AppendQuoted(settings.TestDirectory.MakeAbsolute(environment).FullPath);
        if (settings.OutputOnFailure)
            args.Append("--output-on-failure");
        args.Append("--parallel").Append((settings.ParallelJobs == 0 ? Environment.ProcessorCount : settings.ParallelJobs)
            .ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (settings.Configuration is not null)
            args.Append("--build-config").AppendQuoted(settings.Configuration);
        if (settings.FailWhenNoTests)
            args.Append("--no-tests=error");
        return args;
    }

    protected override string GetToolName() => "CTest";

    protected override IEnumerable<string> GetToolExecutableNames() => ["ctest", "ctest.exe"];
}

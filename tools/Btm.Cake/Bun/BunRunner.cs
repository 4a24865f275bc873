using Btm.Cake.Tooling;
using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Bun;

/// <summary>Runs <c>bun build --compile</c>; a failure carries the tail of what bun said.</summary>
public sealed class BunRunner(IFileSystem fileSystem, ICakeEnvironment environment, IProcessRunner processRunner, IToolLocator tools)
    : CapturingTool<BunCompileSettings>(fileSystem, environment, processRunner, tools)
{
    public void Compile(BunCompileSettings settings) => RunCaptured(settings, CompileArguments(settings, CakeEnvironment));

    public static ProcessArgumentBuilder CompileArguments(BunCompileSettings settings, ICakeEnvironment environment)
    {
        var args = new ProcessArgumentBuilder()
            .Append("build").Append("--compile")
            .AppendQuoted("--target=" + settings.Target)
            .AppendQuoted("--compile-executable-path=" + settings.Runtime.MakeAbsolute(environment).FullPath);
        if (settings.Minify)
            args.Append("--minify");
        foreach (var (name, value) in settings.Defines.OrderBy(d => d.Key, StringComparer.Ordinal))
            args.Append("--define").AppendQuoted($"{name}={value}");
        return args.Append("--outfile").AppendQuoted(settings.Output.MakeAbsolute(environment).FullPath)
            .AppendQuoted(settings.Entry.MakeAbsolute(environment).FullPath);
    }

    protected override string GetToolName() => "bun";

    protected override IEnumerable<string> GetToolExecutableNames() => ["bun", "bun.exe"];
}

using Btm.Build.Pipeline;
using Btm.Core;
using Btm.Core.Model;

namespace Btm.Build.Tests.Builders;

/// <summary>
/// A builder added the way the architecture page says: this one file plus one registration line,
/// its btm.json section ("script") included. It runs the package's script (script.entry, default
/// build.sh) with the output folder and the C compiler as arguments.
/// </summary>
public sealed class ScriptBuilder : IPackageBuilder
{
    public string Name => "script";

    public string Description => "build.sh in the package folder, called as build.sh <out-dir> <cc>";

    public BuilderSection Section { get; } = new("script", """
        {
          "type": "object",
          "additionalProperties": false,
          "properties": { "entry": { "type": "string", "minLength": 1, "description": "The script, relative to the package folder (default build.sh)." } },
          "description": "which script builds the package."
        }
        """,
        section => new ScriptOptions(section.Known("entry").String("entry", "build.sh")), new ScriptOptions("build.sh"));

    public ToolRequirement Tool { get; } = new("sh", "sh", null, null, new Dictionary<string, string> { ["linux"] = "apt-get install dash" });

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        context.WorkTrees.Prepare(context, unit);
        var (exit, output) = ToolProbe.RunIn(unit.Package.Directory, "sh", unit.Package.OptionsOf<ScriptOptions>().Entry, unit.WorkDir, unit.Toolchain.CCompiler);
        if (exit != 0)
            throw new BuildFailedException($"build.sh exited {exit}: {output}");
        return new BuildResult([unit.WorkDir], unit.WorkDir, null);
    }

    public TestResult Test(BuildContext context, BuildUnit unit) => TestResult.Passed("no tests");
}

/// <summary>btm.json "script" (builder script).</summary>
public sealed record ScriptOptions(string Entry);

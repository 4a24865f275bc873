using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Go;

[CakeAliasCategory("Go")]
public static class GoAliases
{
    /// <summary>Builds one main package into one file: <c>go build -trimpath -buildvcs=false … -o &lt;output&gt; &lt;package&gt;</c>.</summary>
    [CakeMethodAlias]
    public static void GoBuild(this ICakeContext context, GoBuildSettings settings) =>
        new GoRunner<GoBuildSettings>(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Run(settings);

    /// <summary>Runs a module's tests: <c>go test [-exec emulator] ./...</c>; returns what go printed.</summary>
    [CakeMethodAlias]
    public static IReadOnlyList<string> GoTest(this ICakeContext context, GoTestSettings settings) =>
        new GoRunner<GoTestSettings>(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Run(settings);
}

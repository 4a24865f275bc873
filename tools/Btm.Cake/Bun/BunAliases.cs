using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Bun;

[CakeAliasCategory("Bun")]
public static class BunAliases
{
    /// <summary>Compiles one entry point into a single executable for a target, with a runtime given beforehand.</summary>
    [CakeMethodAlias]
    public static void BunCompile(this ICakeContext context, BunCompileSettings settings) =>
        new BunRunner(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Compile(settings);
}

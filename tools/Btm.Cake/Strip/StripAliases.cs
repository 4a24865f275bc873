using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Strip;

[CakeAliasCategory("Strip")]
public static class StripAliases
{
    /// <summary>Strips symbols from executables in place, with the target's strip.</summary>
    [CakeMethodAlias]
    public static void Strip(this ICakeContext context, StripSettings settings) =>
        new StripRunner(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Strip(settings);
}

using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Make;

[CakeAliasCategory("Make")]
public static class MakeAliases
{
    /// <summary>Runs make with the platform's makefile (Makefile.&lt;platform&gt;, Makefile.&lt;os&gt;, Makefile).</summary>
    [CakeMethodAlias]
    public static void Make(this ICakeContext context, MakeSettings settings) =>
        new MakeRunner(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Run(settings);
}

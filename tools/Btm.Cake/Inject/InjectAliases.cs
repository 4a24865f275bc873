using Btm.Core.Inject;
using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;

namespace Btm.Cake.Inject;

/// <summary>Resources in ELF, PE and Mach-O executables, where Node's single-executable reader finds them; in process.</summary>
[CakeAliasCategory("Inject")]
public static class InjectAliases
{
    /// <summary>Writes the output executable with the resources in it (and the fuse flipped); returns the format written.</summary>
    [CakeMethodAlias]
    public static string Binject(this ICakeContext context, BinjectSettings settings) =>
        Core.Inject.Binject.Inject(settings.Input.MakeAbsolute(context.Environment).FullPath, settings.Output.MakeAbsolute(context.Environment).FullPath,
            settings.Resources.Select(r => new InjectedResource(r.Key, File.ReadAllBytes(r.Value.MakeAbsolute(context.Environment).FullPath))).ToList(),
            settings.SentinelFuse, new InjectOptions(settings.MachOSegment));

    /// <summary>The resources an executable carries.</summary>
    [CakeMethodAlias]
    public static IReadOnlyList<ResourceInfo> BinjectList(this ICakeContext context, FilePath binary) =>
        Core.Inject.Binject.List(binary.MakeAbsolute(context.Environment).FullPath);
}

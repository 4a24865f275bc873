using Btm.Core.Press;
using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Press;

/// <summary>Compressed self-extracting binaries (docs/binpress-format.md), in process through libzstd.</summary>
[CakeAliasCategory("Press")]
public static class PressAliases
{
    /// <summary>Joins the stub and the zstd-compressed input into a self-extracting binary with the input's file mode.</summary>
    [CakeMethodAlias]
    public static PressResult Binpress(this ICakeContext context, BinpressSettings settings) =>
        Core.Press.Binpress.Compress(settings.Input.MakeAbsolute(context.Environment).FullPath, settings.Stub.MakeAbsolute(context.Environment).FullPath,
            settings.Output.MakeAbsolute(context.Environment).FullPath, settings.Level);

    /// <summary>Restores the byte-identical original of a compressed binary, verifying both hashes.</summary>
    [CakeMethodAlias]
    public static PressTrailer Binflate(this ICakeContext context, BinflateSettings settings) =>
        Core.Press.Binpress.Restore(settings.Input.MakeAbsolute(context.Environment).FullPath, settings.Output.MakeAbsolute(context.Environment).FullPath);
}

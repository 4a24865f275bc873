using Btm.Core.Psp;
using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Psp;

/// <summary>Signed self-contained packages (docs/psp-format.md), in process: packing and checking.</summary>
[CakeAliasCategory("Psp")]
public static class PspAliases
{
    /// <summary>
    /// Writes the package (launcher trusting the signing key and <see cref="PspPackSettings.AlsoTrusted"/>,
    /// metadata, slots, signed index) executable, through a temp file; returns what it wrote, read back.
    /// </summary>
    [CakeMethodAlias]
    public static PspPackage PspPack(this ICakeContext context, PspPackSettings settings)
    {
        var output = settings.Output.MakeAbsolute(context.Environment).FullPath;
        PspWriter.Pack(output, settings.Launcher.MakeAbsolute(context.Environment).FullPath, settings.Metadata, settings.Slots, settings.Key,
            settings.AlsoTrusted, settings.Level);
        return PspReader.Read(output, [settings.Key.PublicKey]);
    }

    /// <summary>Reads and checks a package: layout, every region's hash, the signature under one of the trusted keys.</summary>
    [CakeMethodAlias]
    public static PspPackage PspVerify(this ICakeContext context, PspVerifySettings settings) =>
        PspReader.Read(settings.Package.MakeAbsolute(context.Environment).FullPath, settings.TrustedKeys);
}

using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Npm;

/// <summary>npm, as Cake aliases.</summary>
[CakeAliasCategory("Npm")]
public static class NpmAliases
{
    /// <summary>Packs a package folder into a tarball; returns the tarball's file name.</summary>
    [CakeMethodAlias]
    public static string NpmPack(this ICakeContext context, NpmPackSettings settings) =>
        NpmArguments.PackedFileName(Runner<NpmPackSettings>(context).RunNpm(settings, NpmArguments.Pack(settings, context.Environment)));

    /// <summary>Installs packages into a prefix; throws with npm's output when it fails.</summary>
    [CakeMethodAlias]
    public static void NpmInstall(this ICakeContext context, NpmInstallSettings settings) =>
        Runner<NpmInstallSettings>(context).RunNpm(settings, NpmArguments.Install(settings, context.Environment));

    private static NpmRunner<T> Runner<T>(ICakeContext context) where T : NpmSettings =>
        new(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools);
}

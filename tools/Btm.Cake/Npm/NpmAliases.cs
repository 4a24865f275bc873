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

    /// <summary>Publishes a tarball as it is under a dist-tag.</summary>
    [CakeMethodAlias]
    public static void NpmPublish(this ICakeContext context, NpmPublishSettings settings) =>
        Runner<NpmPublishSettings>(context).RunNpm(settings, NpmArguments.Publish(settings, context.Environment));

    /// <summary>Prints one field of name@version as JSON (default dist.integrity).</summary>
    [CakeMethodAlias]
    public static string NpmView(this ICakeContext context, NpmSpecSettings settings) =>
        string.Join('\n', Runner<NpmSpecSettings>(context).RunNpm(settings, NpmArguments.View(settings))).Trim();

    /// <summary>Removes name@version from the registry.</summary>
    [CakeMethodAlias]
    public static void NpmUnpublish(this ICakeContext context, NpmSpecSettings settings) =>
        Runner<NpmSpecSettings>(context).RunNpm(settings, NpmArguments.Unpublish(settings));

    /// <summary>Marks name@version deprecated with a message ("" clears it).</summary>
    [CakeMethodAlias]
    public static void NpmDeprecate(this ICakeContext context, NpmSpecSettings settings) =>
        Runner<NpmSpecSettings>(context).RunNpm(settings, NpmArguments.Deprecate(settings));

    /// <summary>Points a dist-tag at a version, or removes it when Version is null.</summary>
    [CakeMethodAlias]
    public static void NpmDistTag(this ICakeContext context, NpmDistTagSettings settings) =>
        Runner<NpmDistTagSettings>(context).RunNpm(settings, NpmArguments.DistTag(settings));

    /// <summary>The user the registry sees for these credentials; throws when they are refused.</summary>
    [CakeMethodAlias]
    public static string NpmWhoAmI(this ICakeContext context, NpmWhoAmISettings settings) =>
        string.Join('\n', Runner<NpmWhoAmISettings>(context).RunNpm(settings, NpmArguments.WhoAmI())).Trim();

    private static NpmRunner<T> Runner<T>(ICakeContext context) where T : NpmSettings =>
        new(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools);
}

using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Installers;

/// <summary>The programs that make and sign installers: dpkg-deb, rpmbuild, makensis, osslsigncode.</summary>
[CakeAliasCategory("Installers")]
public static class InstallerAliases
{
    /// <summary>Builds a .deb from a folder holding DEBIAN/control and the installed tree.</summary>
    [CakeMethodAlias]
    public static void DpkgDebBuild(this ICakeContext context, DpkgDebSettings settings) =>
        new InstallerRunner<DpkgDebSettings>(context, "dpkg-deb", DpkgDebSettings.Arguments).Run(settings);

    /// <summary>Builds a binary .rpm from a spec file (rpmbuild -bb) for a target architecture.</summary>
    [CakeMethodAlias]
    public static void RpmBuild(this ICakeContext context, RpmBuildSettings settings) =>
        new InstallerRunner<RpmBuildSettings>(context, "rpmbuild", RpmBuildSettings.Arguments).Run(settings);

    /// <summary>Compiles an NSIS script into a Windows installer.</summary>
    [CakeMethodAlias]
    public static void MakeNsis(this ICakeContext context, MakeNsisSettings settings) =>
        new InstallerRunner<MakeNsisSettings>(context, "makensis", MakeNsisSettings.Arguments).Run(settings);

    /// <summary>Signs a PE file with Authenticode into a new file.</summary>
    [CakeMethodAlias]
    public static void AuthenticodeSign(this ICakeContext context, AuthenticodeSignSettings settings) =>
        new InstallerRunner<AuthenticodeSignSettings>(context, "osslsigncode", AuthenticodeSignSettings.Arguments).Run(settings);

    /// <summary>Checks a PE file's Authenticode signature against the given CA certificates; the tool's words when it fails.</summary>
    [CakeMethodAlias]
    public static void AuthenticodeVerify(this ICakeContext context, AuthenticodeVerifySettings settings) =>
        new InstallerRunner<AuthenticodeVerifySettings>(context, "osslsigncode", AuthenticodeVerifySettings.Arguments).Run(settings);
}

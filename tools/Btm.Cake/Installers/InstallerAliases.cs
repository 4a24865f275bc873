using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.Installers;

/// <summary>The programs that make and sign installers: dpkg-deb, rpmbuild, makensis, osslsigncode, and on macOS codesign, security and notarytool.</summary>
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

    /// <summary>Signs a Mach-O program in place with a Developer ID identity (hardened runtime, secure timestamp).</summary>
    [CakeMethodAlias]
    public static void CodeSign(this ICakeContext context, CodeSignSettings settings) =>
        new InstallerRunner<CodeSignSettings>(context, "codesign", CodeSignSettings.Arguments).Run(settings);

    /// <summary>Checks a Mach-O program's signature strictly; the tool's words when it fails.</summary>
    [CakeMethodAlias]
    public static void CodeSignVerify(this ICakeContext context, CodeSignVerifySettings settings) =>
        new InstallerRunner<CodeSignVerifySettings>(context, "codesign", CodeSignVerifySettings.Arguments).Run(settings);

    /// <summary>Runs one macOS <c>security</c> command (keychain set-up for codesign).</summary>
    [CakeMethodAlias]
    public static void Security(this ICakeContext context, SecuritySettings settings) =>
        new InstallerRunner<SecuritySettings>(context, "security", SecuritySettings.Arguments).Run(settings);

    /// <summary>Submits an archive to Apple's notary service and waits; returns notarytool's JSON output lines.</summary>
    [CakeMethodAlias]
    public static IReadOnlyList<string> NotarySubmit(this ICakeContext context, NotarySubmitSettings settings) =>
        new InstallerRunner<NotarySubmitSettings>(context, "xcrun", NotarySubmitSettings.Arguments).Run(settings);
}

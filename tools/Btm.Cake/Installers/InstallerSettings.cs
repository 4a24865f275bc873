using Cake.Core;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Installers;

/// <summary><c>dpkg-deb --build</c>: files owned by root whatever the folder's owner, xz-compressed.</summary>
public sealed class DpkgDebSettings : ToolSettings
{
    public required DirectoryPath Root { get; init; }

    public required FilePath Output { get; init; }

    public static ProcessArgumentBuilder Arguments(DpkgDebSettings s) => new ProcessArgumentBuilder()
        .Append("--root-owner-group").Append("-Zxz").Append("--build").AppendQuoted(s.Root.FullPath).AppendQuoted(s.Output.FullPath);
}

/// <summary><c>rpmbuild -bb</c> in a private top folder for one target architecture (x86_64, aarch64).</summary>
public sealed class RpmBuildSettings : ToolSettings
{
    public required FilePath Spec { get; init; }

    public required DirectoryPath TopDir { get; init; }

    public required string Architecture { get; init; }

    public static ProcessArgumentBuilder Arguments(RpmBuildSettings s) => new ProcessArgumentBuilder()
        .Append("-bb").Append("--quiet").AppendQuoted("--target=" + s.Architecture + "-linux")
        .Append("--define").AppendQuoted("_topdir " + s.TopDir.FullPath)
        .Append("--define").AppendQuoted("_rpmdir " + s.TopDir.Combine("RPMS").FullPath)
        .AppendQuoted(s.Spec.FullPath);
}

/// <summary><c>makensis</c> on a UTF-8 script, warnings shown, errors fatal.</summary>
public sealed class MakeNsisSettings : ToolSettings
{
    public required FilePath Script { get; init; }

    public static ProcessArgumentBuilder Arguments(MakeNsisSettings s) => new ProcessArgumentBuilder()
        .Append("-V2").Append("-WX").Append("-INPUTCHARSET").Append("UTF8").AppendQuoted(s.Script.FullPath);
}

/// <summary><c>osslsigncode sign</c> with a PKCS#12 file, SHA-256, a fixed signing time and an optional RFC 3161 timestamp.</summary>
public sealed class AuthenticodeSignSettings : ToolSettings
{
    public required FilePath Pkcs12 { get; init; }

    /// <summary>Read by osslsigncode from a file, so it never appears in a process list.</summary>
    public required FilePath PasswordFile { get; init; }

    public required FilePath Input { get; init; }

    public required FilePath Output { get; init; }

    public required string Description { get; init; }

    public string? Url { get; init; }

    public string? TimestampUrl { get; init; }

    /// <summary>The signing time written into the signature (seconds since 1970), so two runs give the same bytes.</summary>
    public long? Time { get; init; }

    public static ProcessArgumentBuilder Arguments(AuthenticodeSignSettings s)
    {
        var args = new ProcessArgumentBuilder().Append("sign")
            .Append("-pkcs12").AppendQuoted(s.Pkcs12.FullPath)
            .Append("-readpass").AppendQuoted(s.PasswordFile.FullPath)
            .Append("-h").Append("sha256")
            .Append("-n").AppendQuoted(s.Description);
        if (s.Url is not null)
            args.Append("-i").AppendQuoted(s.Url);
        if (s.TimestampUrl is not null)
            args.Append("-ts").AppendQuoted(s.TimestampUrl);
        if (s.Time is { } time)
            args.Append("-time").Append(time.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return args.Append("-in").AppendQuoted(s.Input.FullPath).Append("-out").AppendQuoted(s.Output.FullPath);
    }
}

/// <summary><c>osslsigncode verify</c> against a CA file: the chain, the digest of the file and the signature.</summary>
public sealed class AuthenticodeVerifySettings : ToolSettings
{
    public required FilePath Input { get; init; }

    public required FilePath CaFile { get; init; }

    public static ProcessArgumentBuilder Arguments(AuthenticodeVerifySettings s) => new ProcessArgumentBuilder()
        .Append("verify").Append("-CAfile").AppendQuoted(s.CaFile.FullPath).Append("-in").AppendQuoted(s.Input.FullPath);
}

/// <summary><c>codesign</c> with a Developer ID identity from a keychain: hardened runtime and a secure timestamp, as notarization requires.</summary>
public sealed class CodeSignSettings : ToolSettings
{
    public required string Identity { get; init; }

    public required FilePath Keychain { get; init; }

    public required FilePath Input { get; init; }

    public static ProcessArgumentBuilder Arguments(CodeSignSettings s) => new ProcessArgumentBuilder()
        .Append("--force").Append("--options").Append("runtime").Append("--timestamp")
        .Append("--keychain").AppendQuoted(s.Keychain.FullPath).Append("--sign").AppendQuoted(s.Identity).AppendQuoted(s.Input.FullPath);
}

/// <summary><c>codesign --verify --strict</c>: the signature covers the file as it is.</summary>
public sealed class CodeSignVerifySettings : ToolSettings
{
    public required FilePath Input { get; init; }

    public static ProcessArgumentBuilder Arguments(CodeSignVerifySettings s) => new ProcessArgumentBuilder()
        .Append("--verify").Append("--strict").Append("--verbose=2").AppendQuoted(s.Input.FullPath);
}

/// <summary>One <c>security</c> command (keychains for codesign): its words as given.</summary>
public sealed class SecuritySettings : ToolSettings
{
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Positions in <see cref="Command"/> holding a secret, kept out of logs.</summary>
    public IReadOnlySet<int> Secret { get; init; } = new HashSet<int>();

    public static ProcessArgumentBuilder Arguments(SecuritySettings s)
    {
        var args = new ProcessArgumentBuilder();
        for (var i = 0; i < s.Command.Count; i++)
        {
            if (s.Secret.Contains(i))
                args.AppendQuotedSecret(s.Command[i]);
            else
                args.AppendQuoted(s.Command[i]);
        }
        return args;
    }
}

/// <summary><c>xcrun notarytool submit --wait</c> with an App Store Connect API key; the result as JSON on stdout.</summary>
public sealed class NotarySubmitSettings : ToolSettings
{
    public required FilePath Archive { get; init; }

    public required FilePath ApiKey { get; init; }

    public required string KeyId { get; init; }

    public required string Issuer { get; init; }

    public static ProcessArgumentBuilder Arguments(NotarySubmitSettings s) => new ProcessArgumentBuilder()
        .Append("notarytool").Append("submit").AppendQuoted(s.Archive.FullPath)
        .Append("--key").AppendQuoted(s.ApiKey.FullPath).Append("--key-id").AppendQuoted(s.KeyId).Append("--issuer").AppendQuoted(s.Issuer)
        .Append("--wait").Append("--output-format").Append("json");
}

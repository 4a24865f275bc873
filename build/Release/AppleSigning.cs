using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Btm.Build.Pipeline;
using Btm.Cake.Installers;
using Btm.Cake.Logging;
using Btm.Cake.Tooling;
using Btm.Core;

namespace Btm.Build.Release;

/// <summary>
/// Apple signing and notarization of the darwin programs a release ships, on a macOS host (the
/// release workflow's macos leg): a Developer ID certificate from BTM_APPLE_CERT_BASE64 (PKCS#12,
/// password in BTM_APPLE_CERT_PASSWORD) imported into a keychain of the run's own, each staged
/// darwin program signed by codesign with the hardened runtime and a secure timestamp (replacing
/// BTM's ad-hoc signature) and checked with codesign --verify --strict, then all of them submitted
/// to Apple's notary service with an App Store Connect API key (BTM_APPLE_NOTARY_KEY_BASE64, _KEY_ID,
/// _ISSUER) and waited for. A bare program cannot be stapled: Gatekeeper fetches its ticket online.
/// Without the certificate the programs keep their ad-hoc signature. Not run on this project's
/// machines (no macOS); the settings are checked everywhere.
/// </summary>
public sealed class AppleSigning : IDisposable
{
    public const string CertBase64Variable = "BTM_APPLE_CERT_BASE64";
    public const string PasswordVariable = "BTM_APPLE_CERT_PASSWORD";
    public const string IdentityVariable = "BTM_APPLE_IDENTITY";
    public const string NotaryKeyVariable = "BTM_APPLE_NOTARY_KEY_BASE64";
    public const string NotaryKeyIdVariable = "BTM_APPLE_NOTARY_KEY_ID";
    public const string NotaryIssuerVariable = "BTM_APPLE_NOTARY_ISSUER";

    private readonly BuildContext context;
    private readonly string work;
    private readonly string keychain;
    private readonly (string Key, string KeyId, string Issuer)? notary;
    private readonly List<string> signed = [];

    private AppleSigning(BuildContext context, string identity, string work, string keychain, (string, string, string)? notary)
    {
        this.context = context;
        Identity = identity;
        this.work = work;
        this.keychain = keychain;
        this.notary = notary;
    }

    /// <summary>The codesign identity: BTM_APPLE_IDENTITY, else the certificate's common name.</summary>
    public string Identity { get; }

    /// <summary>Whether the programs are also notarized (an API key was given).</summary>
    public bool Notarizes => notary is not null;

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;

    /// <summary>
    /// The release's Apple signer, or null when no certificate is given. Refuses, naming the
    /// variable, a certificate on a host without codesign, notary settings without a certificate,
    /// half of the notary key, and a certificate its password does not open.
    /// </summary>
    public static AppleSigning? For(BuildContext context)
    {
        string?[] notaryParts = [Variable(NotaryKeyVariable), Variable(NotaryKeyIdVariable), Variable(NotaryIssuerVariable)];
        if (Variable(CertBase64Variable) is not { } base64)
        {
            if (notaryParts.Any(p => p is not null))
                throw new BuildFailedException($"{NotaryKeyVariable}/{NotaryKeyIdVariable}/{NotaryIssuerVariable} are set but {CertBase64Variable} is not: " +
                    "Apple notarizes only programs signed with a Developer ID certificate. Fix: set the certificate too, or unset the notary variables");
            return null;
        }
        if (!OperatingSystem.IsMacOS())
            throw new BuildFailedException($"{CertBase64Variable} is set, but Apple signing runs codesign, which only macOS has: package the darwin targets on a " +
                "macOS runner (release.yml's macos leg passes it there alone), or unset it here");
        if (notaryParts.Any(p => p is null) && notaryParts.Any(p => p is not null))
            throw new BuildFailedException($"notarization needs all of {NotaryKeyVariable} (the .p8 API key, base64), {NotaryKeyIdVariable} and {NotaryIssuerVariable}; " +
                $"missing: {string.Join(", ", new[] { NotaryKeyVariable, NotaryKeyIdVariable, NotaryIssuerVariable }.Where((_, i) => notaryParts[i] is null))}");
        var pkcs12 = SigningKey.DecodeBase64(base64, CertBase64Variable, "base64 -i cert.p12");
        var password = Environment.GetEnvironmentVariable(PasswordVariable) ?? "";
        X509Certificate2 signer;
        try
        {
            signer = X509CertificateLoader.LoadPkcs12Collection(pkcs12, password).FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new BuildFailedException($"{CertBase64Variable}: holds no certificate with its private key; export the Developer ID Application certificate with its key");
        }
        catch (CryptographicException e)
        {
            throw new BuildFailedException($"{CertBase64Variable}: not a PKCS#12 certificate the password in {PasswordVariable} opens ({e.Message})");
        }
        var identity = Variable(IdentityVariable) ?? signer.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!identity.StartsWith("Developer ID Application", StringComparison.Ordinal))
            context.Warn($"signing darwin programs as '{identity}': Gatekeeper accepts programs from outside the App Store only with a Developer ID Application certificate");

        var work = Directory.CreateTempSubdirectory("btm-apple-").FullName;
        var keychain = Path.Combine(work, "btm-release.keychain-db");
        var keychainPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var p12 = Path.Combine(work, "cert.p12");
        SigningKey.WriteSecret(p12, pkcs12);
        (string, string, string)? notary = null;
        if (notaryParts[0] is { } key)
        {
            var p8 = Path.Combine(work, "notary.p8");
            SigningKey.WriteSecret(p8, SigningKey.DecodeBase64(key, NotaryKeyVariable, "base64 -i AuthKey_XXXX.p8"));
            notary = (p8, notaryParts[1]!, notaryParts[2]!);
        }
        var apple = new AppleSigning(context, identity, work, keychain, notary);
        try
        {
            void Security(params string[] command) => context.Security(new SecuritySettings
            {
                Command = command,
                Secret = command.Select((w, i) => (w, i)).Where(x => x.w == keychainPassword || x.w == password).Select(x => x.i).ToHashSet(),
            });
            Security("create-keychain", "-p", keychainPassword, keychain);
            Security("set-keychain-settings", "-lut", "21600", keychain);
            Security("unlock-keychain", "-p", keychainPassword, keychain);
            Security("import", p12, "-k", keychain, "-P", password, "-T", "/usr/bin/codesign");
            Security("set-key-partition-list", "-S", "apple-tool:,apple:", "-s", "-k", keychainPassword, keychain);
            File.Delete(p12);
            context.Info($"signing darwin programs as '{identity}'{(notary is null ? $"; not notarizing (no {NotaryKeyVariable}): Gatekeeper will refuse them when downloaded" : ", then notarizing them")}");
            return apple;
        }
        catch
        {
            apple.Dispose();
            throw;
        }
    }

    /// <summary>Signs every program in a staged bin/ folder of a darwin unit, in place, and checks the signature.</summary>
    public void SignPrograms(BuildUnit unit, string binDir)
    {
        if (unit.Platform.Os != "darwin")
            return;
        foreach (var file in Directory.EnumerateFiles(binDir).Order(StringComparer.Ordinal))
        {
            context.CodeSign(new CodeSignSettings { Identity = Identity, Keychain = keychain, Input = file });
            try
            {
                context.CodeSignVerify(new CodeSignVerifySettings { Input = file });
            }
            catch (ToolFailedException e)
            {
                throw new BuildFailedException($"{unit}: {Path.GetFileName(file)} does not verify after codesign ({string.Join("; ", e.Tail.TakeLast(3))})");
            }
            lock (signed)
                signed.Add(file);
        }
    }

    /// <summary>Submits every signed program in one archive to Apple's notary service and waits; fails the release unless Apple accepts it.</summary>
    public void Notarize()
    {
        if (notary is not { } n || signed.Count == 0)
            return;
        var archive = Path.Combine(work, "notarize.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        {
            foreach (var (file, index) in signed.Order(StringComparer.Ordinal).Select((f, i) => (f, i)))
                zip.CreateEntryFromFile(file, $"{index}/{Path.GetFileName(file)}");
        }
        IReadOnlyList<string> output;
        try
        {
            output = context.NotarySubmit(new NotarySubmitSettings { Archive = archive, ApiKey = n.Key, KeyId = n.KeyId, Issuer = n.Issuer });
        }
        catch (ToolFailedException e)
        {
            throw new BuildFailedException($"notarytool could not submit the darwin programs: {string.Join("; ", e.Tail.TakeLast(3))}. " +
                $"Check {NotaryKeyIdVariable}, {NotaryIssuerVariable} and that the API key has the Developer role");
        }
        using var result = JsonDocument.Parse(string.Join("\n", output));
        var status = result.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
        var id = result.RootElement.TryGetProperty("id", out var i) ? i.GetString() : "?";
        if (status != "Accepted")
            throw new BuildFailedException($"Apple's notary service answered '{status}' for submission {id}: run `xcrun notarytool log {id}` with the same key to see why " +
                "(usually a program without the hardened runtime or a secure timestamp)");
        context.Success($"notarized {signed.Count} darwin program(s) (submission {id})");
    }

    public void Dispose()
    {
        if (File.Exists(keychain))
        {
            try
            {
                context.Security(new SecuritySettings { Command = ["delete-keychain", keychain] });
            }
            catch (ToolFailedException e)
            {
                context.Warn($"could not delete the signing keychain {keychain}: {string.Join("; ", e.Tail.TakeLast(2))}");
            }
        }
        Directory.Delete(work, recursive: true);
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Btm.Build.Pipeline;
using Btm.Cake.Installers;
using Btm.Cake.Logging;
using Btm.Cake.Tooling;
using Btm.Core;
using Btm.Core.Platforms;

namespace Btm.Build.Release;

/// <summary>
/// Authenticode for what a release ships to Windows: every win32 program (as it ships, after any
/// compression) and the Windows installer, signed by osslsigncode with a PKCS#12 certificate from
/// --authenticode-cert / BTM_AUTHENTICODE_CERT (a file) or BTM_AUTHENTICODE_CERT_BASE64 (a CI
/// secret), its password in BTM_AUTHENTICODE_PASSWORD, an RFC 3161 timestamp from
/// --authenticode-timestamp / BTM_AUTHENTICODE_TIMESTAMP_URL. A Release to the local registry signs
/// with a local CA and certificate made once under .btm/keys, trusted by nothing but this clone.
/// The signing time is the release's build time, so signing twice gives the same bytes.
/// </summary>
public sealed class Authenticode
{
    public const string CertVariable = "BTM_AUTHENTICODE_CERT";
    public const string CertBase64Variable = "BTM_AUTHENTICODE_CERT_BASE64";
    public const string PasswordVariable = "BTM_AUTHENTICODE_PASSWORD";
    public const string TimestampVariable = "BTM_AUTHENTICODE_TIMESTAMP_URL";

    /// <summary>The certificates (signer first) in the release folder, so Verify can check the signatures.</summary>
    public const string CertificatesFile = "authenticode-certificates.pem";

    public static readonly string LocalPkcs12 = Path.Combine(".btm", "keys", "authenticode-local.p12");
    public static readonly string LocalPassword = Path.Combine(".btm", "keys", "authenticode-local.pass");

    private readonly BuildContext context;
    private readonly byte[] pkcs12;
    private readonly string password;
    private readonly string? timestampUrl;
    private readonly DateTimeOffset time;

    private Authenticode(BuildContext context, byte[] pkcs12, string password, string? timestampUrl, DateTimeOffset time, string source)
    {
        this.context = context;
        this.pkcs12 = pkcs12;
        this.password = password;
        this.timestampUrl = timestampUrl;
        this.time = time;
        X509Certificate2Collection chain;
        try
        {
            chain = X509CertificateLoader.LoadPkcs12Collection(pkcs12, password);
        }
        catch (CryptographicException e)
        {
            throw new BuildFailedException($"{source}: not a PKCS#12 certificate this password opens ({e.Message}). " +
                $"Fix: give the .p12/.pfx file and its password in {PasswordVariable}");
        }
        var signer = chain.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new BuildFailedException($"{source}: holds no certificate with its private key; export the code-signing certificate with its key (.p12/.pfx)");
        if (signer.NotAfter < time.UtcDateTime && timestampUrl is null)
            throw new BuildFailedException($"{source}: the certificate {signer.Subject} expired on {signer.NotAfter:yyyy-MM-dd}; renew it");
        Subject = signer.Subject;
        Certificates = string.Concat(chain.OrderBy(c => c.HasPrivateKey ? 0 : 1).Select(c => c.ExportCertificatePem() + "\n"));
        Source = source;
    }

    /// <summary>The signer's subject ("CN=…").</summary>
    public string Subject { get; }

    /// <summary>Every certificate of the PKCS#12, PEM, signer first.</summary>
    public string Certificates { get; }

    /// <summary>Where the certificate came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The release's signer, or null (with a warning) when there is no certificate and the release is not a local one.</summary>
    public static Authenticode? For(BuildContext context, DateTimeOffset time)
    {
        var timestamp = context.Options.AuthenticodeTimestampUrl is { } t ? t
            : Environment.GetEnvironmentVariable(TimestampVariable) is { Length: > 0 } v ? v : null;
        var password = Environment.GetEnvironmentVariable(PasswordVariable) ?? "";
        if ((context.Options.AuthenticodeCertPath ?? Environment.GetEnvironmentVariable(CertVariable)) is { Length: > 0 } path)
        {
            var full = Path.GetFullPath(path, context.RepoRoot);
            if (!File.Exists(full))
                throw new BuildFailedException($"--authenticode-cert: {full} does not exist; give the PKCS#12 (.p12/.pfx) file of your code-signing certificate");
            return new Authenticode(context, File.ReadAllBytes(full), password, timestamp, time, full);
        }
        if (Environment.GetEnvironmentVariable(CertBase64Variable) is { Length: > 0 } base64)
        {
            var bytes = SigningKey.DecodeBase64(base64, CertBase64Variable, "base64 -w0 cert.p12");
            return new Authenticode(context, bytes, password, timestamp, time, CertBase64Variable);
        }
        if (SigningKey.IsLocalRelease(context))
        {
            var (p12, pass, created) = Local(context);
            var local = new Authenticode(context, p12, pass, null, time, LocalPkcs12);
            context.Info($"{(created ? "created" : "using")} the local code-signing certificate {LocalPkcs12} ({local.Subject}): win32 programs are signed, " +
                $"trusted by this clone only (a real release passes --authenticode-cert or {CertBase64Variable})");
            return local;
        }
        return null;
    }

    /// <summary>Does this release sign anything for Windows at all?</summary>
    public static bool Wanted(IEnumerable<BuildUnit> units) => units.Any(u => u.Platform.Os == "win32");

    /// <summary>Signs every program in a staged bin/ folder of a win32 unit, in place.</summary>
    public void SignPrograms(BuildUnit unit, string binDir)
    {
        if (unit.Platform.Os != "win32")
            return;
        foreach (var file in Directory.EnumerateFiles(binDir).Order(StringComparer.Ordinal))
            Sign(file, $"{unit.Package.Name} {context.VersionOf(unit.Package)}", unit.Package.Installers?.Homepage);
    }

    /// <summary>Signs one PE file in place (through a temp file: a failed signing leaves the unsigned file, never a half-written one).</summary>
    public void Sign(string file, string description, string? url)
    {
        var work = Directory.CreateTempSubdirectory("btm-authenticode-").FullName;
        try
        {
            var p12 = Path.Combine(work, "cert.p12");
            var pass = Path.Combine(work, "pass");
            SigningKey.WriteSecret(p12, pkcs12);
            SigningKey.WriteSecret(pass, Encoding.UTF8.GetBytes(password));
            var signed = Path.Combine(work, "signed");
            context.AuthenticodeSign(new AuthenticodeSignSettings
            {
                Pkcs12 = p12,
                PasswordFile = pass,
                Input = file,
                Output = signed,
                Description = description,
                Url = url,
                TimestampUrl = timestampUrl,
                Time = timestampUrl is null ? time.ToUnixTimeSeconds() : null,
            });
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(signed, File.GetUnixFileMode(file));
            File.Move(signed, file, overwrite: true);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Checks one signed file against <paramref name="caFile"/>: null when it verifies, else what is wrong in a person's words.</summary>
    public static string? Check(BuildContext context, string file, string caFile)
    {
        try
        {
            context.AuthenticodeVerify(new AuthenticodeVerifySettings { Input = file, CaFile = caFile });
            return null;
        }
        catch (ToolFailedException e)
        {
            var said = string.Join("; ", e.Output.Where(l => l.Contains("MISMATCH", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal)
                || l.Contains("No signature", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).Distinct().Take(3));
            if (e.Output.Any(l => l.Contains("MISMATCH", StringComparison.Ordinal)))
                return $"its bytes changed after signing ({said})";
            if (e.Output.Any(l => l.Contains("No signature found", StringComparison.OrdinalIgnoreCase)))
                return "it carries no Authenticode signature";
            return $"its certificate does not chain to the certificates the release names or to a system root ({said}); " +
                "give the PKCS#12 with its chain (openssl pkcs12 -export … -certfile chain.pem)";
        }
    }

    /// <summary>The clone's local CA and code-signing certificate, made once (0600), with its password.</summary>
    private static (byte[] Pkcs12, string Password, bool Created) Local(BuildContext context)
    {
        var p12Path = Path.Combine(context.RepoRoot, LocalPkcs12);
        var passPath = Path.Combine(context.RepoRoot, LocalPassword);
        if (File.Exists(p12Path) && File.Exists(passPath))
            return (File.ReadAllBytes(p12Path), File.ReadAllText(passPath), false);
        var (pkcs12, password) = MakeLocal($"BTM local code signing ({Environment.MachineName})");
        SigningKey.WriteSecret(passPath, Encoding.UTF8.GetBytes(password));
        SigningKey.WriteSecret(p12Path, pkcs12);
        return (pkcs12, password, true);
    }

    /// <summary>A CA and a code-signing certificate it issued (RSA 3072, SHA-256, ten years), as a PKCS#12 with a random password.</summary>
    public static (byte[] Pkcs12, string Password) MakeLocal(string name)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(3072);
        var caRequest = new CertificateRequest($"CN={name} CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        using var key = RSA.Create(3072);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var issued = request.Create(ca, now.AddDays(-1), now.AddYears(10).AddDays(-2), RandomNumberGenerator.GetBytes(16));
        using var signer = issued.CopyWithPrivateKey(key);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        using var caPublic = X509CertificateLoader.LoadCertificate(ca.RawData);
        var collection = new X509Certificate2Collection { signer, caPublic };
        return (collection.Export(X509ContentType.Pkcs12, password)!, password);
    }
}

using Btm.Core;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// The manifest signing key: --signing-key=&lt;file&gt;, else BTM_SIGNING_KEY, else, for a Release to
/// the default local registry, the repo's local key (.btm/keys/local-signing-key.pem, created once
/// and trusted for that registry only).
/// </summary>
public static class SigningKey
{
    public const string Variable = "BTM_SIGNING_KEY";

    public static readonly string LocalKeyPath = Path.Combine(".btm", "keys", "local-signing-key.pem");

    /// <summary>The release job aimed at the local registry: the case the local key exists for.</summary>
    public static bool IsLocalRelease(BuildContext context) =>
        context.Options.Registry == "local" && context.Options.SignManifest;

    public static Ed25519Keys.KeyPair? Load(BuildContext context)
    {
        if (context.Options.SigningKeyPath is { } path)
        {
            var full = Path.GetFullPath(path, context.RepoRoot);
            if (!File.Exists(full))
                throw new BuildFailedException($"--signing-key: {full} does not exist; make one with --target=KeyGen --signing-key={path}");
            return Parse(File.ReadAllText(full), $"--signing-key {full}");
        }
        return Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } text ? Parse(text, Variable) : null;
    }

    /// <summary>The repo's local key, created (0600) on first use; null when it does not exist and <paramref name="create"/> is false.</summary>
    public static Ed25519Keys.KeyPair? Local(BuildContext context, bool create)
    {
        var path = Path.Combine(context.RepoRoot, LocalKeyPath);
        if (File.Exists(path))
            return Parse(File.ReadAllText(path), path);
        if (!create)
            return null;
        var pair = Ed25519Keys.Generate();
        Write(path, Ed25519Keys.PrivatePem(pair.PrivateSeed));
        return pair;
    }

    /// <summary>
    /// The keys whose signatures Verify and Publish accept: cake.config's TrustedKeys, plus the
    /// local key when the registry is the local one.
    /// </summary>
    public static IReadOnlyList<byte[]> Trusted(BuildContext context)
    {
        var keys = context.Settings.TrustedKeys.ToList();
        if (context.Options.Registry == "local" && Local(context, create: false) is { } local)
            keys.Add(local.PublicKey);
        return keys;
    }

    /// <summary>Written 0600 from the start, through a temp name: no moment when the key is readable by others or half-written.</summary>
    public static void Write(string path, string pem) => WriteSecret(path, System.Text.Encoding.ASCII.GetBytes(pem));

    /// <summary>Any secret (a key, a certificate's PKCS#12, a password): 0600 from the start, through a temp name.</summary>
    public static void WriteSecret(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Btm.Core.IO.AtomicFile.TempPathFor(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temp, options))
            file.Write(bytes);
        File.Move(temp, path);
    }

    /// <summary>A secret given as base64 in an environment variable; <paramref name="how"/> is the command that makes it.</summary>
    public static byte[] DecodeBase64(string value, string variable, string how)
    {
        try
        {
            return Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw new BuildFailedException($"{variable}: not base64; set it to the output of `{how}`");
        }
    }

    private static Ed25519Keys.KeyPair Parse(string text, string source)
    {
        try
        {
            return Ed25519Keys.ReadPrivate(text);
        }
        catch (FormatException e)
        {
            // The key text itself is never echoed.
            throw new BuildFailedException($"{source}: {e.Message}");
        }
    }
}

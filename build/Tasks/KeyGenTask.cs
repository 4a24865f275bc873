using Btm.Core;
using Btm.Build.Host;
using Btm.Cake.Logging;
using Btm.Core.Release;
using Btm.Build.Release;

namespace Btm.Build.Tasks;

[TaskName("KeyGen")]
[TaskDescription("Writes a new Ed25519 manifest-signing key pair (--signing-key=<file>, default .btm/keys/signing-key.pem)")]
public sealed class KeyGenTask : BtmTask
{
    public override void Run(BuildContext context)
    {
        var path = Path.GetFullPath(context.Options.SigningKeyPath ?? Path.Combine(".btm", "keys", "signing-key.pem"), context.RepoRoot);
        var publicPath = path + ".pub";
        if (File.Exists(path) || File.Exists(publicPath))
            throw new BuildFailedException($"{path} already exists; refusing to overwrite a signing key (move it away first)");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var pair = Ed25519Keys.Generate();
        SigningKey.Write(path, Ed25519Keys.PrivatePem(pair.PrivateSeed));
        File.WriteAllText(publicPath, Ed25519Keys.PublicPem(pair.PublicKey));
        context.Success($"wrote private key {path} (mode 0600): keep it secret; in CI pass its contents as BTM_SIGNING_KEY");
        context.Success($"wrote public key {publicPath}");
        context.Info($"to trust it, add to cake.config [Btm]: TrustedKeys={pair.PublicKeyHex}");
    }
}

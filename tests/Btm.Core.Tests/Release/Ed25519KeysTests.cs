using System.Diagnostics;
using System.Text;
using Btm.Core.Release;

namespace Btm.Core.Tests.Release;

public class Ed25519KeysTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("{\"manifestVersion\": 1}\n");

    [Test]
    public void Rfc8032_test_vector_1()
    {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        var pair = Ed25519Keys.FromSeed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        Assert.That(Convert.ToHexStringLower(pair.PublicKey), Is.EqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        Assert.That(Convert.ToHexStringLower(Ed25519Keys.Sign(pair.PrivateSeed, [])), Is.EqualTo(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
    }

    [Test]
    public void Signatures_verify_and_any_change_breaks_them()
    {
        var pair = Ed25519Keys.Generate();
        var signature = Ed25519Keys.Sign(pair.PrivateSeed, Message);
        Assert.That(Ed25519Keys.Verify(pair.PublicKey, Message, signature), Is.True);
        var other = Ed25519Keys.Generate();
        Assert.That(Ed25519Keys.Verify(other.PublicKey, Message, signature), Is.False);
        var changed = (byte[])Message.Clone();
        changed[3] ^= 1;
        Assert.That(Ed25519Keys.Verify(pair.PublicKey, changed, signature), Is.False);
        Assert.That(Ed25519Keys.Verify(pair.PublicKey, Message, signature[..63]), Is.False);
    }

    [Test]
    public void Rfc8032_test_vector_3_and_keys_that_are_not_points_verify_nothing()
    {
        // RFC 8032 section 7.1, TEST 3 (two-byte message).
        var pair = Ed25519Keys.FromSeed(Convert.FromHexString("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"));
        Assert.That(Convert.ToHexStringLower(pair.PublicKey), Is.EqualTo("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"));
        var signature = Ed25519Keys.Sign(pair.PrivateSeed, [0xaf, 0x82]);
        Assert.That(Convert.ToHexStringLower(signature), Is.EqualTo(
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"));
        Assert.That(Ed25519Keys.Verify(pair.PublicKey, [0xaf, 0x82], signature), Is.True);
        // Not points on the curve, or of small order: refused, not thrown.
        foreach (var key in new[] { Enumerable.Repeat((byte)0xff, 32).ToArray(), new byte[32], Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000") })
            Assert.That(Ed25519Keys.Verify(key, [0xaf, 0x82], signature), Is.False, Convert.ToHexStringLower(key));
    }

    [Test]
    public void Pem_and_base64_forms_round_trip()
    {
        var pair = Ed25519Keys.Generate();
        Assert.That(Ed25519Keys.ReadPrivate(Ed25519Keys.PrivatePem(pair.PrivateSeed)).PublicKey, Is.EqualTo(pair.PublicKey));
        Assert.That(Ed25519Keys.ReadPrivate(Convert.ToBase64String(pair.PrivateSeed)).PublicKey, Is.EqualTo(pair.PublicKey));
        Assert.That(Ed25519Keys.ReadPublic(Ed25519Keys.PublicPem(pair.PublicKey)), Is.EqualTo(pair.PublicKey));
        Assert.That(Ed25519Keys.ReadPublic(pair.PublicKeyHex), Is.EqualTo(pair.PublicKey));
        Assert.Throws<FormatException>(() => Ed25519Keys.ReadPrivate("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
        Assert.Throws<FormatException>(() => Ed25519Keys.ReadPublic(Convert.ToBase64String(new byte[31])));
    }

    private static string OpenSsl()
    {
        var path = new[] { "/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl" }.FirstOrDefault(File.Exists);
        if (path is null)
            Assert.Ignore("openssl is not installed: the independent Ed25519 check needs OpenSSL 1.1.1+");
        return path!;
    }

    private static (int Exit, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Test]
    public void Openssl_verifies_our_signature_and_rejects_a_changed_message()
    {
        var openssl = OpenSsl();
        using var dir = new TempDir();
        var pair = Ed25519Keys.Generate();
        var pub = dir.Write("key.pub", Ed25519Keys.PublicPem(pair.PublicKey));
        var message = dir.WriteBytes("manifest.json", Message);
        var sig = dir.WriteBytes("manifest.json.sig", Ed25519Keys.Sign(pair.PrivateSeed, Message));
        var ok = Run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", message, "-sigfile", sig);
        Assert.That(ok.Exit, Is.Zero, ok.Output);
        Assert.That(ok.Output, Does.Contain("Signature Verified Successfully"));
        dir.WriteBytes("manifest.json", [.. Message, (byte)' ']);
        Assert.That(Run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", message, "-sigfile", sig).Exit, Is.Not.Zero);
    }

    [Test]
    public void We_verify_what_openssl_signs_with_a_key_openssl_made()
    {
        var openssl = OpenSsl();
        using var dir = new TempDir();
        var keyPath = Path.Combine(dir.Path, "key.pem");
        Assert.That(Run(openssl, "genpkey", "-algorithm", "ed25519", "-out", keyPath).Exit, Is.Zero);
        var pubPath = Path.Combine(dir.Path, "key.pub");
        Assert.That(Run(openssl, "pkey", "-in", keyPath, "-pubout", "-out", pubPath).Exit, Is.Zero);
        var message = dir.WriteBytes("m", Message);
        var sigPath = Path.Combine(dir.Path, "m.sig");
        Assert.That(Run(openssl, "pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-in", message, "-out", sigPath).Exit, Is.Zero);

        var publicKey = Ed25519Keys.ReadPublic(File.ReadAllText(pubPath));
        Assert.That(Ed25519Keys.Verify(publicKey, Message, File.ReadAllBytes(sigPath)), Is.True);
        // And our reader takes openssl's private key: same public key, same (deterministic) signature.
        var ours = Ed25519Keys.ReadPrivate(File.ReadAllText(keyPath));
        Assert.That(ours.PublicKey, Is.EqualTo(publicKey));
        Assert.That(Ed25519Keys.Sign(ours.PrivateSeed, Message), Is.EqualTo(File.ReadAllBytes(sigPath)));
    }
}

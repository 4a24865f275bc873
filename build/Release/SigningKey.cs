using Btm.Core;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>Finds the manifest signing key: --signing-key=&lt;file&gt;, else BTM_SIGNING_KEY, else none.</summary>
public static class SigningKey
{
    public const string Variable = "BTM_SIGNING_KEY";

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

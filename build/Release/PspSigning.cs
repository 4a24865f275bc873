using Btm.Build.Pipeline;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// The Package step's signature on signed self-contained packages: a psp unit is built signed by
/// the key of the machine that built it (the repo's local key, perhaps another machine's through
/// the remote cache); the release signs each staged program again with its own key, the launcher
/// then trusting that key and the package's btm.json "psp.keys".
/// </summary>
public static class PspSigning
{
    public static void SignPrograms(BuildUnit unit, string binDir, Ed25519Keys.KeyPair? releaseKey)
    {
        if (unit.Builder is not PspPackageBuilder || releaseKey is null)
            return;
        var extra = unit.Package.OptionsOf<PspOptions>().Keys;
        foreach (var binary in unit.Package.Binaries)
        {
            var file = Path.Combine(binDir, unit.BinaryFileName(binary));
            // The build's own output, checked for integrity under the key it was built with: the
            // first key of its launcher's block.
            var bytes = File.ReadAllBytes(file);
            var built = PspLauncher.Keys(bytes);
            if (built.Count == 0)
                throw new Btm.Core.BuildFailedException($"{unit}: {file} has a launcher that trusts no key: build it again (./build.sh --target=Build --package={unit.Package.Name} --force)");
            PspWriter.Resign(file, [built[0]], releaseKey, PspLauncher.Trusting(releaseKey.PublicKey, extra));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, (UnixFileMode)0x1ed);
        }
    }
}

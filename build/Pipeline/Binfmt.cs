using Btm.Cake.Logging;

namespace Btm.Build.Pipeline;

/// <summary>
/// Registers Debian's qemu-user-binfmt entries with the kernel where nothing did: a compressed arm64
/// program's stub execs the program it extracted, and the kernel hands a foreign ELF to qemu only
/// through binfmt_misc. A booted Debian registers them with systemd-binfmt; a container does not.
/// </summary>
public static class Binfmt
{
    private const string Proc = "/proc/sys/fs/binfmt_misc";

    /// <summary>Registers <paramref name="emulator"/> (qemu-aarch64) when its entry is shipped but absent; says so either way it changes.</summary>
    public static void Ensure(BuildContext context, string emulator)
    {
        var shipped = $"/usr/lib/binfmt.d/{emulator}.conf";
        if (!OperatingSystem.IsLinux() || File.Exists(Path.Combine(Proc, emulator)) || !File.Exists(shipped) || Environment.UserName != "root")
            return;
        try
        {
            if (!File.Exists(Path.Combine(Proc, "register")) && context.ToolLookup.Find("mount") is { } mount)
                ToolProbe.Run(mount, "-t", "binfmt_misc", "binfmt_misc", Proc);
            File.WriteAllText(Path.Combine(Proc, "register"), File.ReadAllText(shipped).Trim());
            context.Success($"registered {emulator} with binfmt_misc ({shipped})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Warn($"could not register {emulator} with binfmt_misc ({e.Message}): compressed {emulator["qemu-".Length..]} programs are not run here");
        }
    }
}

using System.Security.Cryptography;
using System.Text;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Proves a target's toolchain before any package builds: a tiny C program compiled, linked and,
/// where this machine can run the target (natively or through its emulator), run. A compiler that
/// answers --version can still lack its libc (a cross gcc without its -dev package links nothing),
/// so finding the program is not enough.
/// A proof is remembered under .btm/cache/toolchain-proofs until the toolchain's identity or the
/// machine's installed packages (dpkg's status file) change.
/// </summary>
public sealed class ToolchainProof(string cacheDir, PlatformId host)
{
    private const string Greeting = "btm toolchain proof";

    /// <summary>Null when the toolchain works; otherwise what failed, with the fix.</summary>
    public string? Prove(Toolchain toolchain, ToolchainIdentity identity)
    {
        var target = toolchain.Target.ToString();
        var dir = Path.Combine(cacheDir, target);
        var stamp = Path.Combine(dir, "proved");
        var runs = Runs(toolchain);
        var key = Key(toolchain, identity, runs);
        if (File.Exists(stamp) && File.ReadAllText(stamp) == key)
            return null;
        Directory.CreateDirectory(dir);
        File.Delete(stamp);
        var source = Path.Combine(dir, "proof.c");
        File.WriteAllText(source, $"#include <stdio.h>\nint main(void) {{ puts(\"{Greeting}\"); return 0; }}\n");
        var exe = Path.Combine(dir, toolchain.Target.Os == "win32" ? "proof.exe" : "proof");
        File.Delete(exe);
        var debian = DebianPackages.ForToolchain(toolchain.Id, target);
        var fix = debian.Count > 0 ? $"install: apt-get install {string.Join(' ', debian)}" : toolchain.InstallHint;
        (int ExitCode, string Output) compiled;
        try
        {
            compiled = ToolProbe.RunIn(dir, TimeSpan.FromMinutes(5), toolchain.CCompiler, source, "-o", exe);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or Btm.Core.BuildFailedException)
        {
            return $"the {toolchain.Id} C compiler for {target} ({toolchain.CCompiler}) could not run: {e.Message}; {fix}";
        }
        if (compiled.ExitCode != 0 || !File.Exists(exe))
            return $"the {toolchain.Id} toolchain for {target} cannot compile and link a C program: {Tail(compiled.Output)}; {fix}";

        if (runs is { } command)
        {
            var runFix = DebianPackages.ForRunning(target) is { Count: > 0 } r ? $"install: apt-get install {string.Join(' ', r)}" : "install its emulator";
            (int ExitCode, string Output) ran;
            try
            {
                string[] line = [.. command, exe];
                ran = ToolProbe.RunIn(dir, TimeSpan.FromMinutes(2), line[0], line[1..]);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or Btm.Core.BuildFailedException)
            {
                return $"a {target} program built by {toolchain.Id} does not run here ({string.Join(' ', command.Append(exe))}): {e.Message}; {runFix}";
            }
            if (ran.ExitCode != 0 || !ran.Output.Contains(Greeting, StringComparison.Ordinal))
                return $"a {target} program built by {toolchain.Id} does not run here (exit {ran.ExitCode}): {Tail(ran.Output)}; {runFix}";
        }
        File.WriteAllText(stamp, key);
        return null;
    }

    /// <summary>How this host runs the target's programs: directly, through the emulator, or not at all (null).</summary>
    private string[]? Runs(Toolchain toolchain)
    {
        if (HostPlatform.CanRun(host, toolchain.Target) || toolchain.RunsHere)
            return [];
        return toolchain.Emulator is { Count: > 0 } emulator ? [.. emulator] : null;
    }

    private static string Key(Toolchain toolchain, ToolchainIdentity identity, string[]? runs)
    {
        var text = new StringBuilder()
            .Append(identity.Render()).Append('\n')
            .Append("cc: ").Append(toolchain.CCompiler).Append('\n')
            .Append("runs: ").Append(runs is null ? "no" : string.Join(' ', runs)).Append('\n');
        // Any install or removal rewrites dpkg's status file: a removed libc or emulator is proved again.
        var status = new FileInfo("/var/lib/dpkg/status");
        if (status.Exists)
            text.Append("dpkg: ").Append(status.Length).Append(' ').Append(status.LastWriteTimeUtc.Ticks).Append('\n');
        // BTM's own wrapper scripts (zig, wine) change with the target and the glibc floor.
        foreach (var file in new[] { toolchain.CCompiler }.Concat(runs ?? []).Where(f => new FileInfo(f) is { Exists: true, Length: < 4096 }))
            text.Append(file).Append(' ').Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Tail(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : string.Join(" / ", lines.TakeLast(3));
    }
}

using System.Text.Json;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Cli;

/// <summary>`btm psp verify|inspect|extract`: a signed self-contained package checked against keys the user gives (docs/psp-format.md).</summary>
public static class PspCommand
{
    public const string Help = """
        Usage: btm psp verify <package> --key <public key> [--key …]
               btm psp inspect <package> --key <public key>
               btm psp extract <package> --key <public key> -o <folder>
        Checks a PSP package: its layout, each region's SHA-256 and its Ed25519 signature against the
        keys given (64 hex digits, a PEM file, or base64; never a key found in the package). inspect
        prints the metadata and slot table as JSON; extract writes each slot into <folder>/<slot>.
        """;

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            stdout.WriteLine(Help);
            return args.Length == 0 ? CommandLine.ExitUsage : CommandLine.ExitOk;
        }
        var verb = args[0];
        if (verb is not ("verify" or "inspect" or "extract"))
            throw new CommandLine.UsageError($"psp: unknown command '{verb}': use verify, inspect or extract");
        string? input = null, output = null;
        var keys = new List<byte[]>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    stdout.WriteLine(Help);
                    return CommandLine.ExitOk;
                case "--key" when i + 1 < args.Length:
                    var text = args[++i];
                    try
                    {
                        keys.Add(Ed25519Keys.ReadPublic(File.Exists(text) ? File.ReadAllText(text) : text));
                    }
                    catch (FormatException e)
                    {
                        throw new CommandLine.UsageError($"psp {verb}: --key {text}: not an Ed25519 public key ({e.Message})");
                    }
                    break;
                case "-o" when i + 1 < args.Length && verb == "extract":
                    output = args[++i];
                    break;
                case var a when a.StartsWith('-'):
                    throw new CommandLine.UsageError($"psp {verb}: unknown option or missing value: {a} (see btm psp --help)");
                case var a when input is null:
                    input = a;
                    break;
                default:
                    throw new CommandLine.UsageError($"psp {verb}: more than one package ('{input}', '{args[i]}')");
            }
        }
        if (input is null || !File.Exists(input))
            throw new CommandLine.UsageError($"psp {verb}: {(input is null ? "no package given" : $"{input} does not exist")}");
        if (keys.Count == 0)
            throw new CommandLine.UsageError($"psp {verb}: no --key: pass the public key the package must be signed with");
        if (verb == "extract" && output is null)
            throw new CommandLine.UsageError("psp extract: no output: pass -o <folder>");
        PspPackage package;
        try
        {
            package = PspReader.Read(input, keys);
        }
        catch (PspException e)
        {
            throw new Core.BuildFailedException($"{input}: {e.Message}", e);
        }
        switch (verb)
        {
            case "verify":
                stdout.WriteLine($"ok      {input}: {package.Metadata.Name} {package.Metadata.Version} for {package.Metadata.Platform}, " +
                    $"{package.Slots.Count} slot(s), signed by {Convert.ToHexStringLower(package.KeyId)[..16]}…, checksum {package.Checksum[..16]}…");
                break;
            case "inspect":
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    name = package.Metadata.Name, version = package.Metadata.Version, platform = package.Metadata.Platform, entry = package.Metadata.Entry,
                    args = package.Metadata.Args, environment = package.Metadata.Environment, launcherSize = package.LauncherSize, checksum = package.Checksum,
                    slots = package.Slots.Select(s => new { name = s.Name, purpose = s.Purpose.ToString().ToLowerInvariant(), size = s.Size, rawSize = s.RawSize, contentAddress = s.ContentAddress }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                break;
            default:
                var into = Path.GetFullPath(output!);
                if (Directory.Exists(into) && Directory.EnumerateFileSystemEntries(into).Any())
                    throw new CommandLine.UsageError($"psp extract: -o {output} is not empty: give a new or empty folder");
                // Into a temp sibling, then renamed: a failed slot leaves no half-extracted folder.
                var temp = into + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
                try
                {
                    foreach (var slot in package.Slots)
                        PspReader.Extract(package, slot, Path.Combine(temp, slot.Name));
                    if (Directory.Exists(into))
                        Directory.Delete(into);
                    Directory.Move(temp, into);
                }
                finally
                {
                    if (Directory.Exists(temp))
                        Directory.Delete(temp, recursive: true);
                }
                stdout.WriteLine($"ok      {output}: {string.Join(", ", package.Slots.Select(s => s.Name))}");
                break;
        }
        return CommandLine.ExitOk;
    }
}

using System.Text.Json;
using Btm.Core.Psp;
using Btm.Core.Release;

namespace Btm.Cli;

/// <summary>`btm psp verify|inspect|extract`: a signed self-contained package checked against keys the user gives (docs/psp-format.md).</summary>
public static class PspCommand
{
    public const string Help = """
        Usage: btm psp pack -o <package> --name <n> --version <v> --platform <id> --entry <slot>/<path>
                            --slot <name>[:<purpose>]=<folder> [--slot …] [--arg <a> …] [--env NAME=value …]
                            [--sign <private key PEM>] [--trust <public key> …] [--launcher <file>] [--level <1-22>]
               btm psp verify <package> --key <public key> [--key …]
               btm psp inspect <package> --key <public key>
               btm psp extract <package> --key <public key> -o <folder>
        pack writes a signed self-contained executable: the launcher for <platform> (--launcher, else the
        one this repo built, else the one this tool carries) trusting the signing key and each --trust key,
        then the metadata and the slots (purpose: runtime, app, resources, native; by default the slot's
        name when it is one of those, else app). The key: --sign, else $BTM_SIGNING_KEY (PEM text).
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
        if (verb == "pack")
            return Pack(args, stdout);
        if (verb is not ("verify" or "inspect" or "extract"))
            throw new CommandLine.UsageError($"psp: unknown command '{verb}': use pack, verify, inspect or extract");
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
                    keys.Add(ReadKey(verb, "--key", args[++i]));
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

    private static byte[] ReadKey(string verb, string option, string text)
    {
        try
        {
            return Ed25519Keys.ReadPublic(File.Exists(text) ? File.ReadAllText(text) : text);
        }
        catch (FormatException e)
        {
            throw new CommandLine.UsageError($"psp {verb}: {option} {text}: not an Ed25519 public key ({e.Message})");
        }
    }

    private static int Pack(string[] args, TextWriter stdout)
    {
        string? output = null, name = null, version = null, platformText = null, entry = null, sign = null, launcherPath = null;
        var level = PspWriter.DefaultLevel;
        var slots = new List<PspSlotSource>();
        var trust = new List<byte[]>();
        var arguments = new List<string>();
        var environment = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new CommandLine.UsageError($"psp pack: {args[i]} needs a value");
            switch (args[i])
            {
                case "--help" or "-h":
                    stdout.WriteLine(Help);
                    return CommandLine.ExitOk;
                case "-o": output = Value(); break;
                case "--name": name = Value(); break;
                case "--version": version = Value(); break;
                case "--platform": platformText = Value(); break;
                case "--entry": entry = Value(); break;
                case "--sign": sign = Value(); break;
                case "--launcher": launcherPath = Value(); break;
                case "--arg": arguments.Add(Value()); break;
                case "--env": environment.Add(Value()); break;
                case "--trust": trust.Add(ReadKey("pack", "--trust", Value())); break;
                case "--level":
                    var text = Value();
                    if (!int.TryParse(text, out level) || level is < 1 or > 22)
                        throw new CommandLine.UsageError($"psp pack: --level {text}: give a zstd level from 1 to 22");
                    break;
                case "--slot":
                    slots.Add(ParseSlot(Value()));
                    break;
                default:
                    throw new CommandLine.UsageError($"psp pack: unknown option or missing value: {args[i]} (see btm psp --help)");
            }
        }
        string Required(string? value, string option) => value ?? throw new CommandLine.UsageError($"psp pack: {option} is required (see btm psp --help)");
        Required(output, "-o");
        var metadataName = Required(name, "--name");
        if (!Core.Platforms.PlatformId.TryParse(Required(platformText, "--platform"), out var platform, out var platformError))
            throw new CommandLine.UsageError($"psp pack: --platform {platformText}: {platformError}");
        if (slots.Count == 0)
            throw new CommandLine.UsageError("psp pack: no --slot: give at least one <name>=<folder>");
        var keyText = sign is not null
            ? (File.Exists(sign) ? File.ReadAllText(sign) : throw new CommandLine.UsageError($"psp pack: --sign {sign} does not exist"))
            : Environment.GetEnvironmentVariable("BTM_SIGNING_KEY") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : throw new CommandLine.UsageError("psp pack: no signing key: pass --sign <private key PEM> or set BTM_SIGNING_KEY");
        Ed25519Keys.KeyPair key;
        try
        {
            key = Ed25519Keys.ReadPrivate(keyText);
        }
        catch (FormatException e)
        {
            throw new CommandLine.UsageError($"psp pack: {(sign is null ? "BTM_SIGNING_KEY" : "--sign " + sign)}: not an Ed25519 private key ({e.Message})");
        }
        launcherPath ??= StubLocator.FindBuilt(Core.Model.PackageManifest.PspLauncherPackage, platform)
            ?? throw new CommandLine.UsageError($"psp pack: no {Core.Model.PackageManifest.PspLauncherPackage} for {platform}: inside a BTM repo build one with " +
                $"./build.sh --target=Build --package={Core.Model.PackageManifest.PspLauncherPackage} --mode=prod --platform={platform}, or pass --launcher <file>");
        if (!File.Exists(launcherPath))
            throw new CommandLine.UsageError($"psp pack: --launcher {launcherPath} does not exist");
        var metadata = new PspMetadata(metadataName, Required(version, "--version"), platform.ToString(), Required(entry, "--entry"), arguments, environment);
        int trusted;
        try
        {
            trusted = PspWriter.Pack(output!, launcherPath, metadata, slots, key, trust, level);
        }
        catch (ArgumentException e)
        {
            throw new CommandLine.UsageError($"psp pack: {e.Message}");
        }
        var package = PspReader.Read(output!, [key.PublicKey]);
        stdout.WriteLine($"ok      {output}: {metadata.Name} {metadata.Version} for {platform}, {package.Slots.Count} slot(s) " +
            $"({string.Join(", ", package.Slots.Select(s => $"{s.Name} {s.Size:N0} B"))}), launcher trusts {trusted} key(s), checksum {package.Checksum[..16]}…");
        return CommandLine.ExitOk;
    }

    private static PspSlotSource ParseSlot(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new CommandLine.UsageError($"psp pack: --slot {text}: give <name>[:<purpose>]=<folder>");
        var head = text[..eq];
        var colon = head.IndexOf(':');
        var slotName = colon < 0 ? head : head[..colon];
        var purposeText = colon < 0 ? (slotName is "runtime" or "resources" or "native" ? slotName : "app") : head[(colon + 1)..];
        var purpose = purposeText switch
        {
            "runtime" => PspPurpose.Runtime,
            "app" => PspPurpose.App,
            "resources" => PspPurpose.Resources,
            "native" => PspPurpose.Native,
            _ => throw new CommandLine.UsageError($"psp pack: --slot {text}: purpose '{purposeText}' is not runtime, app, resources or native"),
        };
        var folder = text[(eq + 1)..];
        if (!Directory.Exists(folder))
            throw new CommandLine.UsageError($"psp pack: --slot {text}: {folder} is not a folder");
        return new PspSlotSource(slotName, purpose, folder);
    }
}

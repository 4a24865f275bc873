using System.Text.RegularExpressions;
using Btm.Build.Pipeline.Sources;
using Btm.Cake.Go;
using Btm.Cake.Tooling;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// A Go module built into static, stripped binaries for every target (CGO_ENABLED=0, -trimpath,
/// -s -w, no build id, no VCS stamp), as GoReleaser's defaults do: no C toolchain, no libc, the
/// same bytes from any clone. Dependencies come from vendor/ when the module has one, else from
/// the module cache read-only with go.sum checked; the environment's GOPROXY and GOFLAGS apply.
/// </summary>
public sealed partial class GoPackageBuilder : IPackageBuilder
{
    public string Name => "go";

    public string Description => "a Go module (go.mod in the package folder or its unpacked sources): static stripped binaries for every target, from btm.json \"go\"";

    public ToolRequirement Tool { get; } = new("go", "go", null, "1.19", new Dictionary<string, string>
    {
        ["linux"] = "apt-get install golang-go (or put a newer Go first on PATH)",
        ["darwin"] = "brew install go",
        ["win32"] = "winget install GoLang.Go",
    }) { VersionArgument = "version" };

    public bool NeedsCompiler => false;

    public string? KeepUnstripped => "stripped by Go's linker (-s -w)";

    public BuilderSection Section { get; } = new("go", """
        {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "packages": { "type": "object", "additionalProperties": { "type": "string", "pattern": "^\\.(/.*)?$" }, "description": "Binary name to its main package (\"./cmd/tool\"). Default: \".\" for a single binary, ./cmd/<name> for several." },
            "versionVariable": { "type": "string", "pattern": "^[A-Za-z0-9_./-]+\\.[A-Za-z_][A-Za-z0-9_]*$", "description": "A string variable set to the package's version with -X (e.g. main.version)." },
            "tags": { "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9_.]+$" }, "description": "Build tags." },
            "ldflags": { "type": "array", "items": { "type": "string", "minLength": 1 }, "description": "More linker flags, after -s -w -buildid=." },
            "test": { "type": "array", "items": { "type": "string", "minLength": 1 }, "description": "Packages the Test task runs go test on (default ./...); empty: none." }
          },
          "description": "how the Go module is built."
        }
        """,
        ReadOptions, GoOptions.Default);

    private static GoOptions ReadOptions(SectionReader section)
    {
        section.Known("packages", "versionVariable", "tags", "ldflags", "test");
        var packages = section.Map("packages");
        foreach (var (binary, path) in packages)
        {
            if (!(path == "." || path.StartsWith("./", StringComparison.Ordinal)))
                throw section.Error($"packages.{binary}", $"'{path}' is not a package path inside the module", "write it as go does, relative to go.mod: \".\" or \"./cmd/" + binary + "\"");
            section.Relative(path, $"packages.{binary}", "the module");
        }
        var variable = section.OptionalString("versionVariable");
        if (variable is not null && !VersionVariable().IsMatch(variable))
            throw section.Error("versionVariable", $"'{variable}' is not a Go package variable", "write <import path>.<name>, e.g. main.version");
        var tags = section.Strings("tags");
        if (tags.FirstOrDefault(t => !Tag().IsMatch(t)) is { } tag)
            throw section.Error("tags", $"'{tag}' is not a build tag", "use letters, digits, _ and . only");
        var ldflags = section.Strings("ldflags");
        if (ldflags.FirstOrDefault(f => f.StartsWith("-linkmode", StringComparison.Ordinal) || f.StartsWith("-extld", StringComparison.Ordinal)) is { } external)
            throw section.Error("ldflags", $"'{external}' asks for an external (C) linker, and the go builder builds without cgo", "drop it: binaries are linked statically by Go itself");
        return new GoOptions(packages, variable, tags, ldflags, section.Has("test") ? section.Strings("test") : GoOptions.Default.Test);
    }

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<GoOptions>();
        context.WorkTrees.Prepare(context, unit);
        var tree = SourceTree.Prepare(context, unit);
        var module = Module(unit, tree);
        var bin = Path.Combine(unit.WorkDir, "bin");
        Directory.CreateDirectory(bin);
        var ldflags = new List<string> { "-s", "-w", "-buildid=" };
        if (options.VersionVariable is { } variable)
            ldflags.Add($"-X={variable}={context.VersionOf(unit.Package)}");
        ldflags.AddRange(options.LdFlags);
        foreach (var binary in unit.Package.Binaries)
        {
            var package = options.Packages.GetValueOrDefault(binary) ?? (unit.Package.Binaries.Count == 1 ? "." : $"./cmd/{binary}");
            var settings = new GoBuildSettings
            {
                Package = package,
                Output = Path.Combine(bin, unit.BinaryFileName(binary)),
                Mod = Mod(module),
                Tags = [.. options.Tags],
                LdFlags = ldflags,
            };
            Prepare(context, unit, module, settings);
            Run(() => context.GoBuild(settings));
        }
        return new BuildResult([bin], tree, tree)
        {
            RuntimeLicences = new Dictionary<string, IReadOnlyList<string>> { ["go"] = GoLicence(unit) is { } text ? [text] : [] },
        };
    }

    public TestResult Test(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<GoOptions>();
        if (options.Test.Count == 0)
            return TestResult.NotRun("go.test is empty");
        if (!unit.Toolchain.Runnable(context.Host))
            return TestResult.NotRun($"nothing runs {unit.Platform} programs here (Verify checks the binaries structurally)");
        var tree = SourceTree.PathFor(unit);
        var module = Module(unit, Directory.Exists(tree) ? tree : SourceTree.Prepare(context, unit));
        var emulator = HostPlatform.CanRun(context.Host, unit.Platform) ? [] : unit.Toolchain.Emulator ?? [];
        var settings = new GoTestSettings { Packages = [.. options.Test], Mod = Mod(module), Tags = [.. options.Tags], Exec = [.. emulator] };
        Prepare(context, unit, module, settings);
        IReadOnlyList<string> output = [];
        Run(() => output = context.GoTest(settings));
        var passed = output.Count(l => l.StartsWith("ok ", StringComparison.Ordinal));
        return TestResult.Passed($"go test passed ({passed} package(s){(emulator.Count > 0 ? $" under {Path.GetFileName(emulator[0])}" : "")})");
    }

    public IEnumerable<ShippedComponent> RuntimeComponents(BuildUnit unit)
    {
        // Every Go binary carries Go's runtime and standard library, under Go's licence.
        var version = ToolProbe.ParseVersion(unit.Identity.Builder.VersionOutput ?? "");
        yield return new ShippedComponent("go", version, "BSD-3-Clause", $"Go's runtime and standard library ({unit.Identity.Builder.FirstVersionLine})", "builder");
    }

    /// <summary>The folder holding go.mod: the source tree's root, or the one folder below it an archive unpacked into.</summary>
    private static string Module(BuildUnit unit, string tree)
    {
        if (File.Exists(Path.Combine(tree, "go.mod")))
            return tree;
        var into = unit.Package.Sources.Select(s => s.Into).Distinct().Where(i => i != ".").Select(i => PathGuard.Resolve(tree, i))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "go.mod")));
        return into ?? throw new ConfigException(unit.Package.ManifestPath, "builder",
            "the go builder found no go.mod in the package folder or where its sources unpack",
            "run `go mod init <module path>` in the package folder, or point a source's \"into\" at the module");
    }

    private static string Mod(string module) => File.Exists(Path.Combine(module, "vendor", "modules.txt")) ? "vendor" : "readonly";

    /// <summary>The target, and an environment that makes the build depend on nothing but the module and Go.</summary>
    private static void Prepare(BuildContext context, BuildUnit unit, string module, global::Cake.Core.Tooling.ToolSettings settings)
    {
        var (goos, goarch) = Target(unit.Platform);
        settings.WorkingDirectory = module;
        settings.ToolPath = unit.Identity.Builder.Path;
        var env = settings.EnvironmentVariables;
        env["CGO_ENABLED"] = "0";
        env["GOOS"] = goos;
        env["GOARCH"] = goarch;
        // The baseline instruction sets: a user's GOAMD64=v3 would make binaries that fail on older CPUs.
        env["GOAMD64"] = "v1";
        env["GOARM64"] = "v8.0";
        // Go 1.21+ would fetch the toolchain a go.mod names; the key names the Go on this machine.
        env["GOTOOLCHAIN"] = "local";
        // A go.work above the module would build other code than the package's.
        env["GOWORK"] = "off";
        // Go's own build cache (~/.cache/go-build) is content-addressed and safe for concurrent builds: every clone shares it.
        // Without HOME (some CI containers) Go has neither: they go under the clone's .btm.
        foreach (var (name, folder) in new[] { ("GOCACHE", "go-build"), ("GOPATH", "go-path") })
        {
            if (Environment.GetEnvironmentVariable("HOME") is null && Environment.GetEnvironmentVariable(name) is null)
                env[name] = Path.Combine(context.RepoRoot, ".btm", "cache", folder);
        }
    }

    /// <summary>Runs go; a module it could not fetch gets the fix appended to what go said.</summary>
    private static void Run(Action run)
    {
        try
        {
            run();
        }
        catch (ToolFailedException failure) when (ModuleFetch().IsMatch(string.Join('\n', failure.Tail)))
        {
            throw new ToolFailedException(failure.Tool, failure.CommandLine, failure.ExitCode,
                [.. failure.Tail, "btm: a module could not be fetched. This build reads dependencies from vendor/ or from the module cache, read-only. " +
                    "Fix: run `go mod vendor` in the package and commit vendor/, or fill the module cache (go mod download) where GOPROXY is reachable"],
                failure.Output);
        }
    }

    public static (string Goos, string Goarch) Target(PlatformId platform) => (
        platform.Os switch { "win32" => "windows", var os => os },
        platform.Cpu switch { "x64" => "amd64", var cpu => cpu });

    /// <summary>Go's LICENSE: in GOROOT upstream; Debian moves it into the source package's copyright file.</summary>
    private static string? GoLicence(BuildUnit unit)
    {
        var go = unit.Identity.Builder.Path!;
        var (exit, root) = ToolProbe.Run(go, "env", "GOROOT");
        var candidates = new List<string>();
        if (exit == 0)
            candidates.Add(Path.Combine(root.Trim(), "LICENSE"));
        if (ToolProbe.ParseVersion(unit.Identity.Builder.VersionOutput ?? "") is { } version)
            candidates.Add($"/usr/share/doc/golang-{string.Join('.', version.Split('.').Take(2))}-src/copyright");
        return candidates.FirstOrDefault(File.Exists);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_./-]+\.[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VersionVariable();

    [GeneratedRegex(@"^[A-Za-z0-9_.]+$")]
    private static partial Regex Tag();

    [GeneratedRegex(@"dial tcp|proxy\.golang\.org|no required module provides|missing go\.sum entry|cannot find module providing|GOPROXY|GOFLAGS=-mod=mod")]
    private static partial Regex ModuleFetch();
}

/// <summary>btm.json "go": which main package each binary is built from, and how.</summary>
public sealed record GoOptions(
    IReadOnlyDictionary<string, string> Packages,
    string? VersionVariable,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> LdFlags,
    IReadOnlyList<string> Test)
{
    public static readonly GoOptions Default = new(new Dictionary<string, string>(), null, [], [], ["./..."]);
}

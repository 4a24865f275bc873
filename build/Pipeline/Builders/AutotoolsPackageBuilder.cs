using System.Diagnostics;
using Btm.Build.Pipeline.Sources;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// A GNU build system project (btm.json "autotools"): optionally <c>autoreconf -fi</c>, then
/// <c>configure --host=&lt;triple&gt; --prefix=/usr</c> with the target's toolchain in an out-of-tree
/// build folder, <c>make</c>, and <c>make install DESTDIR=&lt;stage&gt;</c>, from whose
/// <c>usr/bin</c> the binaries (and <c>install</c> globs, relative to the stage) are collected.
/// BTM's compiler flags ride in CC, so configure's own default (-g -O2) and the project's stand.
/// </summary>
public sealed class AutotoolsPackageBuilder : IPackageBuilder
{
    public string Name => "autotools";

    public string Description => "a GNU build system project (configure and make) from btm.json \"autotools\" (directory, autoreconf, configureArgs, env, makeTargets, testTarget): " +
        "configured out of tree with --host for the target, built, installed into a staging folder";

    public BuilderSection Section { get; } = new("autotools", """
        {
          "type": "object",
          "additionalProperties": false,
          "description": "how a GNU build system project is configured and built (docs/onboarding.md).",
          "properties": {
            "directory": { "type": "string", "description": "The folder of the source tree that holds configure (default .)." },
            "inTree": { "type": "boolean", "description": "Configure and build inside the source tree's copy (default false: out of tree), for a project whose build or tests assume it (jq 1.6's tests look for ./jq beside them)." },
            "autoreconf": { "type": "boolean", "description": "Run autoreconf -fi first (needs autoconf, automake, libtool): for a tree without configure, or one whose generated files must be remade." },
            "configureArgs": { "type": "array", "items": { "type": "string" }, "description": "Added to configure after --prefix=/usr, --host and the toolchain's CC." },
            "env": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Environment for every step." },
            "makeTargets": { "type": "array", "items": { "type": "string" }, "description": "make's targets (default: its default)." },
            "installTargets": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "The targets that install into the staging folder (default install), for a project whose install also writes what does not ship (CPython: altbininstall libinstall sharedinstall, without headers and the static library)." },
            "testTarget": { "type": [ "string", "boolean" ], "description": "The target Test runs where the target's programs run natively (default check); false for none." }
          }
        }
        """,
        ReadOptions, AutotoolsOptions.Default);

    private static AutotoolsOptions ReadOptions(SectionReader section)
    {
        section.Known("directory", "inTree", "autoreconf", "configureArgs", "env", "makeTargets", "installTargets", "testTarget");
        var test = section.Element.TryGetProperty("testTarget", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.False
            ? null : section.String("testTarget", "check");
        return new AutotoolsOptions(section.RelativePath("directory", "the source tree"), section.Flag("autoreconf", false),
            section.Strings("configureArgs"), section.Map("env"), section.Strings("makeTargets"), test)
        {
            InTree = section.Flag("inTree", false),
            InstallTargets = section.Strings("installTargets") is { Count: > 0 } install ? install : AutotoolsOptions.Default.InstallTargets,
        };
    }

    public ToolRequirement Tool { get; } = new("make", "make", null, null, new Dictionary<string, string>
    {
        ["linux"] = "apt-get install make",
        ["darwin"] = "xcode-select --install",
        ["win32"] = "use MSYS2's make",
    });

    public BuildResult Build(BuildContext context, BuildUnit unit)
    {
        var (tree, build, stage) = Configured(context, unit);
        var options = unit.Package.OptionsOf<AutotoolsOptions>();
        Run(context, unit, "make", build, ["make", "-j", Math.Max(1, Environment.ProcessorCount).ToString(), .. options.MakeTargets]);
        if (Directory.Exists(stage))
            Directory.Delete(stage, recursive: true);
        Run(context, unit, "make install", build, ["make", .. options.InstallTargets, $"DESTDIR={stage}"]);
        return new BuildResult([Path.Combine(stage, "usr", "bin"), Path.Combine(stage, "usr", "sbin")], stage, tree);
    }

    public TestResult Test(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<AutotoolsOptions>();
        if (options.TestTarget is null)
            return TestResult.NotRun("btm.json autotools.testTarget is false");
        // A cross-configured project runs its tests' programs directly: only where they run natively.
        if (!HostPlatform.CanRun(context.Host, unit.Platform) && !unit.Toolchain.RunsHere)
            return TestResult.NotRun($"make {options.TestTarget} runs {unit.Platform} programs directly, and this machine runs them only through an emulator (Verify runs the shipped binary)");
        var (_, build, _) = Configured(context, unit);
        Run(context, unit, $"make {options.TestTarget}", build, ["make", options.TestTarget]);
        return TestResult.Passed($"make {options.TestTarget} passed");
    }

    /// <summary>The source tree, the configured build folder (configured once per work tree) and the staging folder.</summary>
    private static (string Tree, string Build, string Stage) Configured(BuildContext context, BuildUnit unit)
    {
        var options = unit.Package.OptionsOf<AutotoolsOptions>();
        var fresh = context.WorkTrees.Prepare(context, unit, $"path map: {PathMap.Flags(unit) ?? "(none)"}");
        var tree = SourceTree.PathFor(unit);
        if (fresh || !Directory.Exists(tree))
        {
            if (options.Autoreconf)
                CopyReconfigured(context, unit, options, tree);
            else
                SourceTree.Prepare(context, unit);
        }
        var source = options.Directory == "." ? tree : PathGuard.Resolve(tree, options.Directory);
        // The source tree is the unit's own copy: building inside it writes nothing of the package's.
        var build = options.InTree ? source : Path.Combine(unit.WorkDir, "autotools-build");
        var stage = Path.Combine(unit.WorkDir, "stage");
        // config.status is configure's own record that it ran (an in-tree source may ship a Makefile before it).
        if (File.Exists(Path.Combine(build, "config.status")))
            return (tree, build, stage);
        if (!File.Exists(Path.Combine(source, "configure")))
            throw new BuildFailedException($"{unit.Package.ManifestPath}: autotools: no configure script in {Path.GetRelativePath(tree, source)}. " +
                "Fix: set \"autoreconf\": true to make it from configure.ac, or point \"directory\" at the folder that has it");
        Directory.CreateDirectory(build);
        var own = string.Join(' ', new[] { PathMap.Flags(unit) }.OfType<string>());
        string[] configure =
        [
            Path.Combine(source, "configure"), "--prefix=/usr",
            // --build with --host: configure's documented way to say "cross" (some, like CPython's, refuse --host alone).
            .. Triple(unit.Platform) is { } host && unit.Toolchain.Cross ? new[] { $"--host={host}", $"--build={Triple(context.Host)}" } : [],
            $"CC={unit.Toolchain.CCompiler} {own}".TrimEnd(),
            .. unit.Toolchain.CxxCompiler is { } cxx ? new[] { $"CXX={cxx} {own}".TrimEnd() } : [],
            .. unit.Toolchain.Cross ? new[] { $"AR={unit.Toolchain.Ar}", $"RANLIB={unit.Toolchain.Ranlib}", $"STRIP={unit.Toolchain.Strip}" } : [],
            .. options.ConfigureArgs,
        ];
        Run(context, unit, "configure", build, configure);
        return (tree, build, stage);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> Reconfiguring = new();

    /// <summary>
    /// Fills the unit's source tree from the package's tree after <c>autoreconf -fi</c>, which is
    /// made once and shared by every target of the mode: its output depends on the sources and
    /// the host's autotools, not on the target (about 20 s a target for jq). The shared tree sits
    /// at build/&lt;mode&gt;/.autoreconf/&lt;key&gt; and is only ever complete (made beside under a temp
    /// name, then renamed). Units of this process wait for the one making it; another process
    /// making the same tree at the same time does the work again, and one rename wins.
    /// </summary>
    private static void CopyReconfigured(BuildContext context, BuildUnit unit, AutotoolsOptions options, string tree)
    {
        var keys = context.Keys.For(unit);
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{keys.Files}\n{keys.Manifest}\n{AutotoolsVersions.Value}")))[..16];
        var root = Path.Combine(Path.GetDirectoryName(unit.Layout.Root)!, ".autoreconf");
        var shared = Path.Combine(root, key);
        lock (Reconfiguring.GetOrAdd(shared, _ => new object()))
        {
            if (!Directory.Exists(shared))
                MakeReconfigured(context, unit, options, root, shared);
        }
        if (Directory.Exists(tree))
            Directory.Delete(tree, recursive: true);
        var temp = AtomicFile.TempPathFor(tree);
        SourceTree.CopyTree(shared, temp);
        Directory.Move(temp, tree);
        context.Detail($"{unit}: source tree copied from {Path.GetRelativePath(unit.Package.Directory, shared)} (autoreconf ran once for the package)");
    }

    private static void MakeReconfigured(BuildContext context, BuildUnit unit, AutotoolsOptions options, string root, string path)
    {
        Directory.CreateDirectory(root);
        // A killed run's temp tree, and trees of inputs that changed an hour ago or more.
        AtomicFile.RemoveLeftovers(root, TimeSpan.FromHours(1));
        foreach (var old in Directory.EnumerateDirectories(root).Where(d => !AtomicFile.IsTemp(d) && d != path &&
                     Directory.GetLastWriteTimeUtc(d) < DateTime.UtcNow - TimeSpan.FromHours(1)))
            Directory.Delete(old, recursive: true);
        var temp = AtomicFile.TempPathFor(path);
        SourceTree.Fill(context, unit, temp);
        var source = options.Directory == "." ? temp : PathGuard.Resolve(temp, options.Directory);
        Run(context, unit, "autoreconf", source, ["autoreconf", "-fi"], ceiling: temp);
        try
        {
            Directory.Move(temp, path);
        }
        catch (IOException) when (Directory.Exists(path))
        {
            // Another process made the same tree first: the same inputs, so either copy serves.
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>The host's autoconf, automake and libtool, whose versions shape what autoreconf writes.</summary>
    private static readonly Lazy<string> AutotoolsVersions = new(() => string.Join('\n', new[] { "autoconf", "automake", "libtoolize" }.Select(tool =>
    {
        try { return ToolProbe.Run(tool, "--version").Output.Split('\n')[0]; }
        catch (System.ComponentModel.Win32Exception) { return $"{tool}: missing"; }
    })));

    /// <summary>The GNU triple configure's --host wants for a platform.</summary>
    public static string? Triple(PlatformId platform) => (platform.Os, platform.Cpu, platform.Musl) switch
    {
        ("linux", "x64", false) => "x86_64-linux-gnu",
        ("linux", "x64", true) => "x86_64-linux-musl",
        ("linux", "arm64", false) => "aarch64-linux-gnu",
        ("linux", "arm64", true) => "aarch64-linux-musl",
        ("win32", "x64", _) => "x86_64-w64-mingw32",
        ("win32", "arm64", _) => "aarch64-w64-mingw32",
        ("darwin", "x64", _) => "x86_64-apple-darwin",
        ("darwin", "arm64", _) => "aarch64-apple-darwin",
        _ => null,
    };

    /// <summary>Runs one step with the project's env and git kept out of BTM's clone; a failure keeps its whole output.</summary>
    private static void Run(BuildContext context, BuildUnit unit, string step, string directory, IReadOnlyList<string> command, string? ceiling = null)
    {
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        var env = new Dictionary<string, string>(unit.Package.OptionsOf<AutotoolsOptions>().Env);
        if (ceiling is not null)
            env["GIT_CEILING_DIRECTORIES"] = ceiling;
        else
            GitCeiling.Apply(unit, directory, env);
        foreach (var (name, value) in env)
            start.Environment[name] = value;
        context.Detail($"{unit}: {step}: {string.Join(' ', command)}");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BuildFailedException($"could not start {command[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            var hint = command[0] == "autoreconf" ? "apt-get install autoconf automake libtool" : $"install {command[0]}";
            throw new BuildFailedException($"{step}: {command[0]} could not run ({e.Message}). Fix: {hint}");
        }
        using var _ = process;
        var output = new List<string>();
        void Line(string? line)
        {
            if (line is not null)
                lock (output)
                    output.Add(line);
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new Btm.Cake.Tooling.ToolFailedException(step, string.Join(' ', command.Select(a => a.Contains(' ') ? $"\"{a}\"" : a)), process.ExitCode,
                output.TakeLast(40).ToList(), output);
    }
}

/// <summary>
/// btm.json "autotools": a GNU build system project, configured out of tree (or in the tree's copy) for the target
/// (<c>configure --host</c>), built with make and installed into a staging folder.
/// </summary>
public sealed record AutotoolsOptions(
    string Directory,
    bool Autoreconf,
    IReadOnlyList<string> ConfigureArgs,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> MakeTargets,
    string? TestTarget)
{
    /// <summary>"inTree": configure and build in the source tree's copy instead of a folder beside it.</summary>
    public bool InTree { get; init; }

    /// <summary>"installTargets": what <c>make … DESTDIR=</c> runs to fill the staging folder.</summary>
    public IReadOnlyList<string> InstallTargets { get; init; } = ["install"];

    public static readonly AutotoolsOptions Default = new(".", false, [], new Dictionary<string, string>(), [], "check");
}

using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Pipeline;

/// <summary>
/// Picks the toolchain row for a target (cake.config's choice, else the table's first row that
/// builds it from this host) and fills in its commands. Native builds honour CC/CXX/STRIP.
/// </summary>
public sealed class ToolchainResolver(
    PlatformId host,
    IReadOnlyList<ToolchainDefinition> table,
    IReadOnlyDictionary<string, string> chosen,
    Func<string, string?> environment,
    Func<string, string?> findTool,
    string? wrapperRoot = null)
{
    public PlatformId Host { get; } = host;

    /// <summary>Checks cake.config's Toolchains= against the table before anything runs.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> chosen, IReadOnlyList<ToolchainDefinition> table, PlatformId host)
    {
        foreach (var (target, id) in chosen)
        {
            var definition = table.FirstOrDefault(d => d.Id == id)
                ?? throw new ConfigException(RepoSettings.FileName, "[Btm] Toolchains", $"'{target}:{id}' names an unknown toolchain",
                    $"use one of: {string.Join(", ", table.Select(d => d.Id))}");
            if (!definition.Builds(host, PlatformId.Parse(target)))
                throw new ConfigException(RepoSettings.FileName, "[Btm] Toolchains", $"toolchain '{id}' does not build {target} on a {host.Os} host",
                    $"use one of: {string.Join(", ", table.Where(d => d.Builds(host, PlatformId.Parse(target))).Select(d => d.Id).DefaultIfEmpty("(none here)"))}");
        }
    }

    /// <param name="glibcFloor">For a linux glibc target, the oldest glibc its binaries must run on ("2.17"), or
    /// null / "host" for the first row that builds it (the host's own glibc).</param>
    public Toolchain Resolve(PlatformId target, string? glibcFloor = null)
    {
        var floor = target.Os == "linux" && !target.Musl && glibcFloor is not (null or GlibcFloor.Host) ? glibcFloor : null;
        // A floor needs a toolchain that links against that glibc's symbols (zig's own stubs), not the host's.
        var definition = chosen.TryGetValue(target.ToString(), out var id)
            ? table.First(d => d.Id == id)
            : (floor is null ? null : table.FirstOrDefault(d => d.Builds(Host, target) && d.ZigTargets.ContainsKey(target.ToString())))
              ?? table.FirstOrDefault(d => d.Builds(Host, target));
        if (definition is null)
        {
            var reason = target.Os == "darwin"
                ? "darwin targets need the macOS SDK: build them on a macOS runner"
                : $"{target} is not cross-built from {Host.Os}: build it on a {target.Os} runner";
            return new Toolchain("none", target, null, "", null, "", "", "", Cake.Strip.StripFlavor.Gnu, true, null, null, reason, reason);
        }

        var processor = target.Cpu == "arm64" ? "aarch64" : "x86_64";
        var triple = definition.Triple?.Replace("{processor}", processor);
        string? honoured = null;
        if (definition.ZigTargets.TryGetValue(target.ToString(), out var zigTarget) && target.Os == "linux" && !target.Musl)
        {
            honoured = floor ?? GlibcFloor.Default;
            zigTarget += "." + honoured;
        }
        var wrappers = zigTarget is null ? "" : ZigWrappers(target, zigTarget, honoured);
        var cmakeSystem = target.Os switch { "darwin" => "Darwin", "win32" => "Windows", _ => "Linux" };
        string Fill(string text) => text.Replace("{triple}", triple ?? "").Replace("{processor-dashed}", processor.Replace('_', '-'))
            .Replace("{processor}", processor).Replace("{target}", target.ToString()).Replace("{cpu}", target.Cpu)
            .Replace("{wrappers}", wrappers).Replace("{cmake-system}", cmakeSystem);

        var native = definition.HostOnly;
        var cc = native ? environment("CC") ?? Fill(definition.CC) : Fill(definition.CC);
        var cxx = definition.Cxx is null ? null : native ? environment("CXX") ?? Fill(definition.Cxx) : Fill(definition.Cxx);
        var strip = native ? environment("STRIP") ?? Fill(definition.Strip) : Fill(definition.Strip);
        var hint = definition.Install.TryGetValue(Host.Os, out var h) ? Fill(h) : $"install the {definition.Id} toolchain";
        if (native && Host.Musl)
            hint = "apk add build-base";
        IReadOnlyList<string>? emulator = null;
        // An emulator runs another cpu's binaries; darwin and windows ones need more than that.
        foreach (var candidate in target.Os == "linux" && target.Cpu != Host.Cpu || definition.ZigTargets.Count == 0 ? definition.Emulators : [])
        {
            var program = Fill(candidate[0]);
            if ((Path.IsPathRooted(program) && File.Exists(program) ? program : findTool(program)) is { } path)
            {
                emulator = target.Os == "win32" ? [WineWrapper(path)] : [path, .. candidate.Skip(1).Select(Fill)];
                break;
            }
        }
        var runsHere = definition.RunsHere || definition.ZigTargets.Count > 0 && target.Os == "linux" && target.Cpu == Host.Cpu && (target.Musl || !Host.Musl);
        return new Toolchain(definition.Id, target, triple, cc, cxx, Fill(definition.Ar), Fill(definition.Ranlib), strip,
            definition.StripFlavor, !native, native ? null : definition.CMakeSystemName is { } system ? Fill(system) : null,
            definition.CMakeProcessor.TryGetValue(target.Cpu, out var p) ? p : null, hint, null)
        {
            Emulator = emulator, RunsHere = runsHere, GlibcFloor = honoured, ZigTarget = zigTarget,
        };
    }

    /// <summary>
    /// wine, quiet and with a prefix of BTM's own (the user's ~/.wine is never touched): one word,
    /// as CMake's emulator and make's $(BTM_RUN) want.
    /// </summary>
    private string WineWrapper(string wine)
    {
        var root = wrapperRoot ?? Path.GetTempPath();
        var path = Path.Combine(root, "wine", "wine");
        var prefix = Quote(Path.Combine(root, "wine", "prefix"));
        // Windows 10 programs import ProcessPrng from bcryptprimitives.dll (Bun's runtime does), which
        // wine 8 lacks; the prefix gets a DLL of ours that provides it, built once with whichever
        // Windows C compiler is here.
        var shim = Path.Combine(root, "wine", "bcryptprimitives.c");
        using (var stream = typeof(ToolchainResolver).Assembly.GetManifestResourceStream("Btm.Build.Pipeline.Toolchains.wine.bcryptprimitives.c")!)
        using (var reader = new StreamReader(stream))
            WriteScript(shim, reader.ReadToEnd());
        var dll = $"{prefix}/drive_c/windows/system32/bcryptprimitives.dll";
        var compilers = new List<string>();
        if (findTool("x86_64-w64-mingw32-gcc") is { } mingw)
            compilers.Add($"{Quote(mingw)} -shared -O2 -s -o {dll}.$$ {Quote(shim)} -ladvapi32");
        if (findTool("zig") is { } zig)
            compilers.Add($"{Quote(zig)} cc -target x86_64-windows-gnu -shared -O2 -s -o {dll}.$$ {Quote(shim)} -ladvapi32");
        // Debian's wine64 keeps wineserver64 beside wine64; elsewhere it is wineserver on PATH.
        var server = new[] { Path.Combine(Path.GetDirectoryName(wine) ?? "", "wineserver64"), Path.Combine(Path.GetDirectoryName(wine) ?? "", "wineserver") }
            .FirstOrDefault(File.Exists) ?? findTool("wineserver");
        var lockPath = Quote(Path.Combine(root, "wine", "prefix.lock"));
        // The first use of a prefix sets it up once, whatever starts at the same moment (CTest runs a
        // package's tests in parallel): the others wait on the lock, and the set-up waits for wine's
        // own start-up processes to end, since programs started on a half-made prefix failed now and
        // then. fd 9 is closed for wine's processes, which would otherwise hold the lock while they live.
        var text = $"#!/bin/sh\n# Generated by BTM: wine with its own prefix (Windows 10), without debug chatter.\n" +
            $"export WINEDEBUG=-all WINEPREFIX={prefix}\n" +
            $"if [ ! -f {prefix}/.btm-ready ]; then\n" +
            $"  (\n" +
            $"    if command -v flock >/dev/null 2>&1; then flock 9; fi\n" +
            $"    if [ ! -f {prefix}/.btm-ready ]; then\n" +
            // The prefix says Windows 10: wine's default is older than what Node 20 (and other current programs) accept.
            $"      {Quote(wine)} reg add 'HKEY_CURRENT_USER\\Software\\Wine' /v Version /d win10 /f >/dev/null 2>&1 9>&- || exit 0\n" +
            (compilers.Count == 0 ? "" :
                // Built beside, then renamed: a killed set-up never leaves a half-written DLL.
                $"      [ -f {dll} ] || {{ ( {string.Join(" || ", compilers.Select(c => $"{c} 2>/dev/null"))} ) && mv -f {dll}.$$ {dll}; }}\n") +
            (server is null ? "" : $"      {Quote(server)} -w 9>&-\n") +
            $"      touch {prefix}/.btm-ready\n" +
            $"    fi\n" +
            $"  ) 9>{lockPath}\n" +
            $"fi\n" +
            $"exec {Quote(wine)} \"$@\"\n";
        WriteScript(path, text);
        return path;
    }

    /// <summary>
    /// The folder of zig's wrapper scripts for a target (written when missing or stale), or a
    /// folder without them when zig is not installed, so the compiler check names the fix.
    /// </summary>
    private string ZigWrappers(PlatformId target, string zigTarget, string? glibc)
    {
        var dir = Path.Combine(wrapperRoot ?? Path.GetTempPath(), glibc is null ? $"zig-{target}" : $"zig-{target}-glibc{glibc}");
        if (findTool("zig") is not { } zig)
            return dir;
        string Exec(string command) => $"#!/bin/sh\n# Generated by BTM: zig as a one-word tool for {target} (CMake and make want one).\nexec {Quote(zig)} {command} \"$@\"\n";
        var scripts = new Dictionary<string, string>
        {
            ["cc"] = Compiler(zig, $"cc -target {zigTarget}", target),
            ["c++"] = Compiler(zig, $"c++ -target {zigTarget}", target),
            // A makefile that keeps ar's operation in AR (Lua's "AR= ar rcu") calls $(AR) lib.a objs…;
            // overridden by this wrapper, the archive comes first, so the wrapper supplies the operation.
            ["ar"] = $"#!/bin/sh\n# Generated by BTM: zig ar for {target}; an archive name first means the makefile's AR carried the operation.\n" +
                $"case \"$1\" in *.a) exec {Quote(zig)} ar rcs \"$@\" ;; esac\nexec {Quote(zig)} ar \"$@\"\n",
            ["ranlib"] = Exec("ranlib"),
            // zig objcopy strips ELF; Mach-O and PE go to llvm-strip.
            ["strip"] = target.Os == "linux"
                ? $"#!/bin/sh\n# Generated by BTM: strip ELF files in place with zig objcopy.\nflag=\"$1\"; shift\nfor f in \"$@\"; do\n  {Quote(zig)} objcopy \"$flag\" \"$f\" \"$f.btm-strip\" && chmod --reference=\"$f\" \"$f.btm-strip\" && mv \"$f.btm-strip\" \"$f\" || exit 1\ndone\n"
                : "#!/bin/sh\n# Generated by BTM: Mach-O and PE are stripped by llvm-strip.\nexec llvm-strip \"$@\"\n",
        };
        foreach (var (name, text) in scripts)
            WriteScript(Path.Combine(dir, name), text);
        return dir;
    }

    /// <summary>
    /// zig cc as a one-word compiler. zig caches a C object only when no depfile is asked for
    /// (ziglang/zig#16712), and CMake's and automake's compile rules always ask (-MD -MT -MF), so an
    /// edit to one file recompiled every file of the unit. A unit's work tree starts empty whenever
    /// its key changes, so make and ninja never need a depfile's header list: this wrapper drops
    /// the depfile flags, lets zig compile (from its cache, which tracks headers itself) and writes
    /// the depfile naming the object alone.
    /// </summary>
    private static string Compiler(string zig, string command, PlatformId target) =>
        $"#!/bin/sh\n# Generated by BTM: zig as a one-word tool for {target} (CMake and make want one).\n" +
        $"zig={Quote(zig)}\n" +
        "md=; mf=; named=\n" +
        "for a do\n" +
        "  case $a in -MD|-MMD) md=1 ;; -MF*) mf=1 ;; -MT*|-MQ*|-o) named=1 ;; esac\n" +
        "done\n" +
        $"[ -n \"$md\" ] && [ -n \"$mf\" ] && [ -n \"$named\" ] || exec \"$zig\" {command} \"$@\"\n" +
        "# zig caches nothing when asked for a depfile (ziglang/zig#16712). This unit's work tree is new for\n" +
        "# every change of its key, so the depfile names the object alone and zig compiles from its cache.\n" +
        "n=$#; depfile=; object=; output=; next=\n" +
        "while [ \"$n\" -gt 0 ]; do\n" +
        "  a=$1; shift; n=$((n - 1))\n" +
        "  case $next in\n" +
        "    MF) depfile=$a; next=; continue ;;\n" +
        "    MT) object=\"${object:+$object }$a\"; next=; continue ;;\n" +
        "    o) output=$a; next= ;;\n" +
        "  esac\n" +
        "  case $a in\n" +
        "    -MD|-MMD|-MP) continue ;;\n" +
        "    -MF) next=MF; continue ;;\n" +
        "    -MF?*) depfile=${a#-MF}; continue ;;\n" +
        "    -MT|-MQ) next=MT; continue ;;\n" +
        "    -MT?*|-MQ?*) object=\"${object:+$object }${a#-M?}\"; continue ;;\n" +
        "    -o) next=o ;;\n" +
        "  esac\n" +
        "  set -- \"$@\" \"$a\"\n" +
        "done\n" +
        $"\"$zig\" {command} \"$@\" || exit\n" +
        // A space in the object's name is escaped, as make and ninja read it.
        "printf '%s:\\n' \"$(printf '%s' \"${object:-$output}\" | sed 's/ /\\\\ /g')\" > \"$depfile\"\n";

    /// <summary>A word for sh: single-quoted, with any single quote in it closed, escaped and reopened.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>An executable wrapper script, rewritten only when its text changed (so its timestamp means something).</summary>
    private static void WriteScript(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Btm.Core.IO.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
    }
}

using Btm.Core.Platforms;

namespace Btm.Build.Tests;

/// <summary>
/// A throwaway copy of the repo's build inputs (cake.config, schema, chosen packages) in a temp
/// folder, driven through the real host process exactly as build.sh drives it.
/// </summary>
public sealed class Sandbox : IDisposable
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string HostDll = Path.Combine(TestContext.CurrentContext.TestDirectory, "Btm.Build.dll");
    public static readonly string Host = HostPlatform.Detect().ToString();

    /// <summary>Skips the test, naming the tool, when a program it needs is not on PATH.</summary>
    public static void RequireTools(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').All(d => !File.Exists(Path.Combine(d, tool))))
                Assert.Ignore($"{tool} is not installed (see README prerequisites)");
        }
    }

    /// <summary>Skips the test unless the zig that `npm ci` installs (the linux-x64 build) is in the repo.</summary>
    public static void RequireZig()
    {
        if (Host != "linux-x64" || !File.Exists(Path.Combine(RepoRoot, Btm.Build.Pipeline.SharedZig.PackagePath, "zig")))
            Assert.Ignore("zig is not installed: `npm ci` installs it from package-lock.json (linux-x64 hosts)");
    }

    /// <summary>Where a program is on PATH (the test is skipped by <see cref="RequireTools"/> first when it is not).</summary>
    public static string Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).First(File.Exists);

    public Sandbox(params string[] repoPackages)
    {
        Root = Path.Combine(Path.GetTempPath(), "btm-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(Root, "packages"));
        // Its packages are the ones copied into packages/, not the repo's examples.
        File.WriteAllLines(Path.Combine(Root, "cake.config"), File.ReadAllLines(Path.Combine(RepoRoot, "cake.config")).Where(l => !l.StartsWith("Packages=", StringComparison.Ordinal)));
        // cake.config's License needs its text: every package without its own ships the repo's.
        File.Copy(Path.Combine(RepoRoot, "LICENSE"), Path.Combine(Root, "LICENSE"));
        CopyTree(Path.Combine(RepoRoot, "docs", "schemas"), Path.Combine(Root, "docs", "schemas"));
        foreach (var name in repoPackages)
            CopyTree(Path.Combine(RepoRoot, "packages", name), Path.Combine(Root, "packages", name));
        // The repo's node tools, zig among them: linux glibc targets build with zig for their glibc floor.
        File.Copy(Path.Combine(RepoRoot, "package.json"), Path.Combine(Root, "package.json"));
        File.Copy(Path.Combine(RepoRoot, "package-lock.json"), Path.Combine(Root, "package-lock.json"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "node_modules"), Path.Combine(RepoRoot, "node_modules"));
    }

    public string Root { get; }

    /// <summary>What the Templates task needs besides the node tools: the template.</summary>
    public void AddReleaseTooling()
    {
        CopyTree(Path.Combine(RepoRoot, "templates"), Path.Combine(Root, "templates"));
    }

    /// <summary>Sets a cake.config [Btm] key: its line replaced, or added at the end.</summary>
    public void SetConfig(string key, string value)
    {
        var path = Path.Combine(Root, "cake.config");
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.StartsWith(key + "=", StringComparison.Ordinal));
        if (at >= 0)
            lines[at] = $"{key}={value}";
        else
            lines.Add($"{key}={value}");
        File.WriteAllLines(path, lines);
    }

    public string SummaryPath => Path.Combine(Root, "summary.json");

    public string Package(string name) => Path.Combine(Root, "packages", name);

    public string Final(string package, string binary, string mode = "dev") =>
        Path.Combine(Package(package), "build", mode, Host, "out", "Final", binary);

    public string Checkpoints(string package, string mode = "dev") => Path.Combine(Package(package), "build", mode, Host, "checkpoints");

    public string Write(string relative, string content)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>A tiny C package built by make: fast enough to rebuild in every test.</summary>
    public void AddMakePackage(string name, string[]? dependsOn = null, string? extraJson = null, string code = "return 0;")
    {
        var deps = string.Join(", ", (dependsOn ?? []).Select(d => $"\"{d}\""));
        Write($"packages/{name}/btm.json", $$"""
            {
              "$schema": "../../docs/schemas/btm.schema.json",
              "name": "{{name}}",
              "description": "fixture {{name}}",
              "builder": "make",
              "binaries": ["{{name}}"],
              "inputs": ["Makefile", "src/**"],
              "dependsOn": [{{deps}}]{{(extraJson is null ? "" : ",\n  " + extraJson)}}
            }
            """);
        Write($"packages/{name}/Makefile",
            $"all:\n\t$(CC) -g -o $(BTM_OUT_DIR)/{name}$(BTM_EXE_SUFFIX) src/main.c\n\ntest: all\n\t$(BTM_RUN) $(BTM_OUT_DIR)/{name}$(BTM_EXE_SUFFIX)\n");
        Write($"packages/{name}/src/main.c", $"#include <stdio.h>\nint main(void) {{ puts(\"{name}\"); {code} }}\n");
    }

    /// <summary>A C program that echoes its arguments, or copies stdin (--cat), exits with a code (--exit N), sleeps until signalled (--sleep), prints its version.</summary>
    public void AddEchoer(string name = "echoer", string? extraJson = null)
    {
        var extra = extraJson is null ? "" : ",\n  " + extraJson;
        Write($"packages/{name}/btm.json", $$"""
            {
              "name": "{{name}}",
              "description": "fixture {{name}}: echoes, cats, exits, sleeps",
              "builder": "make",
              "binaries": ["{{name}}"],
              "inputs": ["Makefile", "src/**"]{{extra}}
            }
            """);
        Write($"packages/{name}/Makefile",
            $"all:\n\t$(CC) -g -DVERSION=\\\"$(BTM_VERSION)\\\" -o $(BTM_OUT_DIR)/{name}$(BTM_EXE_SUFFIX) src/main.c\n\ntest: all\n\t$(BTM_RUN) $(BTM_OUT_DIR)/{name}$(BTM_EXE_SUFFIX) --version\n");
        Write($"packages/{name}/src/main.c", $$"""
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
              if (argc > 1 && strcmp(argv[1], "--version") == 0) { printf("{{name}} %s\n", VERSION); return 0; }
              if (argc > 1 && strcmp(argv[1], "--sleep") == 0) { puts("sleeping"); fflush(stdout); for (;;) pause(); }
              if (argc > 2 && strcmp(argv[1], "--exit") == 0) return atoi(argv[2]);
              if (argc > 1 && strcmp(argv[1], "--cat") == 0) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }
              for (int i = 1; i < argc; i++) printf("[%s]", argv[i]);
              putchar('\n');
              return 0;
            }
            """);
    }

    /// <summary>Makes the sandbox a git repo with one commit, as a real checkout is.</summary>
    public void CommitAll()
    {
        foreach (var args in new[]
        {
            new[] { "init", "-q", "-b", "main" }, ["config", "user.email", "test@btm.invalid"], ["config", "user.name", "BTM tests"],
            ["add", "-A"], ["commit", "-q", "-m", "fixture"],
        })
        {
            var r = ProcessResult.Run("git", args, Root);
            Assert.That(r.ExitCode, Is.Zero, r.Output);
        }
        File.WriteAllText(Path.Combine(Root, ".gitignore"), "packages/*/build/\nartifacts/\n.btm/\nsummary.json\n");
        ProcessResult.Run("git", ["add", "-A"], Root);
        ProcessResult.Run("git", ["commit", "-q", "-m", "ignore build output"], Root);
    }

    public string ReleaseDir => Path.Combine(Root, "artifacts", "0.1.0");

    public ProcessResult Run(params string[] args) => RunWith(null, args);

    /// <summary>
    /// False (the default): a run of a releasing task passes --partial, as a user releasing fewer
    /// platforms on purpose would, since fixtures build cake.config's Targets=host of packages that
    /// declare all seven. Tests of the completeness rule itself set it.
    /// </summary>
    public bool CompleteReleases { get; set; }

    private static readonly string[] ReleasingTargets = ["--target=Package", "--target=Release", "--target=Publish", "--target=Assemble"];

    public ProcessResult RunWith(IDictionary<string, string?>? environment, params string[] args)
    {
        if (!CompleteReleases && args.Any(a => ReleasingTargets.Contains(a, StringComparer.OrdinalIgnoreCase)) && !args.Contains("--partial"))
            args = [.. args, "--partial"];
        // The caller's own BUILD_MODE or fault switch must not leak into a test's build.
        var env = new Dictionary<string, string?>
        {
            ["BUILD_MODE"] = null, ["BTM_FAULT"] = null, ["CFLAGS"] = null, ["CC"] = null, ["BTM_SIGNING_KEY"] = null, ["SOURCE_DATE_EPOCH"] = null,
            ["BTM_REMOTE_CACHE_URL"] = null, ["BTM_REMOTE_CACHE_TOKEN"] = null, ["BTM_REMOTE_CACHE_TEAM"] = null,
            ["BTM_REMOTE_CACHE_SIGNATURE_KEY"] = null, ["BTM_REMOTE_CACHE_TIMEOUT"] = null, ["BTM_REMOTE_CACHE_MODE"] = null,
            // A suite run on a CI machine must not make every build install Debian packages.
            ["CI"] = null,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            env[name] = value;
        if (File.Exists(SummaryPath))
            File.Delete(SummaryPath);
        // A guard against a hung run, not a speed check: on a fresh 2-core machine, with a second
        // fixture building beside it and zig building its C library for each new target once, a
        // four-target Package takes over five minutes.
        return ProcessResult.Run("dotnet", new[] { HostDll, $"--root={Root}", $"--summary={SummaryPath}" }.Concat(args), Root, env, timeoutSeconds: 1200);
    }

    public IReadOnlyList<StageResult> LastSummary() => Summary.Read(SummaryPath);

    public string Outcome(string package, string stage) =>
        LastSummary().Single(s => s.Package == package && s.Stage == stage).Outcome;

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }

    public static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, file);
            if (rel.Split(Path.DirectorySeparatorChar)[0] is "build" or "bin" or "obj")
                continue;
            var dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "cake.config")) && Directory.Exists(Path.Combine(dir.FullName, "packages")))
                return dir.FullName;
        }
        throw new InvalidOperationException("tests must run inside the BTM repo");
    }
}

using System.Diagnostics;

namespace Btm.Build.Tests;

/// <summary>
/// Builds under what users do to them: clones copied elsewhere, two builds at once, Ctrl-C, long
/// failing compiles, and the release job's defaults (prod, stripped, no build paths, signed).
/// </summary>
[NonParallelizable]
public class RobustnessTests
{
    private static string Host => Sandbox.Host;

    /// <summary>A CMake package whose binary can print the source path the compiler saw (__FILE__).</summary>
    private static void AddCMakePackage(Sandbox box, string name)
    {
        box.Write($"packages/{name}/btm.json", $$"""
            {
              "name": "{{name}}",
              "description": "fixture {{name}}: prints its version and where it was built",
              "builder": "cmake",
              "binaries": ["{{name}}"],
              "inputs": ["CMakeLists.txt", "src/**"]
            }
            """);
        box.Write($"packages/{name}/CMakeLists.txt", $$"""
            cmake_minimum_required(VERSION 3.20)
            project({{name}} LANGUAGES C)
            add_executable({{name}} src/main.c)
            target_compile_definitions({{name}} PRIVATE VERSION="${BTM_VERSION}")
            enable_testing()
            add_test(NAME version COMMAND {{name}} --version)
            """);
        box.Write($"packages/{name}/src/main.c", $$"""
            #include <stdio.h>
            #include <string.h>
            int main(int argc, char **argv) {
              if (argc > 1 && strcmp(argv[1], "--where") == 0) { puts(__FILE__); return 0; }
              printf("{{name}} %s\n", VERSION);
              return 0;
            }
            """);
    }

    [Test]
    public void A_copied_clone_builds_tests_and_forces_a_rebuild_in_its_new_place()
    {
        Sandbox.RequireTools("cmake", "cc");
        using var box = new Sandbox();
        AddCMakePackage(box, "where");
        Assert.That(box.Run("--target=Test").ExitCode, Is.Zero);
        var copy = box.Root + "-copy";
        try
        {
            Assert.That(ProcessResult.Run("cp", ["-a", box.Root, copy], Path.GetTempPath()).ExitCode, Is.Zero);
            foreach (var args in new[] { new[] { "--target=Build" }, ["--target=Test"], ["--target=Build", "--force"] })
            {
                var r = ProcessResult.Run("dotnet", [Sandbox.HostDll, $"--root={copy}", .. args], copy);
                Assert.That(r.ExitCode, Is.Zero, $"{string.Join(" ", args)} in the copy: {r.Output}");
                Assert.That(r.Output, Does.Not.Contain("CMakeCache.txt directory"));
            }
        }
        finally
        {
            if (Directory.Exists(copy))
                Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public void Two_builds_in_one_clone_at_once_both_succeed_the_second_saying_what_it_waits_for()
    {
        Sandbox.RequireTools("make", "cc");
        using var box = new Sandbox();
        box.AddMakePackage("slow");
        box.Write("packages/slow/Makefile", "all:\n\tsleep 2\n\t$(CC) -o $(BTM_OUT_DIR)/slow src/main.c\n\ntest: all\n");
        var runs = new[] { 0, 1 }.Select(i => Task.Run(() =>
        {
            Thread.Sleep(i * 300);
            return box.Run("--target=Build", "--force");
        })).ToArray();
        var results = runs.Select(t => t.GetAwaiter().GetResult()).ToArray();
        var all = string.Join("\n----\n", results.Select(r => r.Output));
        Assert.That(results.Select(r => r.ExitCode), Is.All.Zero, all);
        Assert.That(all, Does.Contain($"slow {Host} dev: waiting for another BTM run that is building it (lock packages/slow/build/dev/{Host}/.lock)"));
        Assert.That(all, Does.Not.Contain("Could not find file").And.Not.Contain("Exception"));
        Assert.That(File.Exists(box.Final("slow", "slow")), Is.True);
    }

    [Test]
    public void Ctrl_C_says_interrupted_removes_the_runs_temp_files_and_exits_130()
    {
        Sandbox.RequireTools("make", "cc");
        using var box = new Sandbox();
        box.AddMakePackage("hang");
        box.Write("packages/hang/Makefile", "all:\n\techo started > $(BTM_OUT_DIR)/partial\n\tsleep 41\n\ntest: all\n");
        // As a terminal's foreground job gets it: a run started from a background shell inherits
        // SIGINT ignored, and a process cannot be interrupted by a signal it ignores.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", "dotnet", Sandbox.HostDll, $"--root={box.Root}", "--target=Build"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = box.Root,
        };
        using var run = Process.Start(start)!;
        var stderr = run.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        string? line;
        while ((line = run.StandardOutput.ReadLine()) is not null)
        {
            output.AppendLine(line);
            if (line.Contains("building"))
                break;
        }
        var buildDir = Path.Combine(box.Package("hang"), "build");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Directory.EnumerateFiles(buildDir, "partial", SearchOption.AllDirectories).Any() && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        Assert.That(Directory.EnumerateFileSystemEntries(buildDir, "*.tmp-*", SearchOption.AllDirectories), Is.Not.Empty, "the stage's temp folder exists mid-build");

        Process.Start("kill", ["-INT", run.Id.ToString()])!.WaitForExit();
        Assert.That(run.WaitForExit(TimeSpan.FromSeconds(15)), Is.True, "the run stops");
        Assert.That(run.ExitCode, Is.EqualTo(130), output + stderr.Result);
        Assert.That(stderr.Result, Does.Contain("fail    interrupted"));
        Assert.That(Directory.EnumerateFileSystemEntries(buildDir, "*.tmp-*", SearchOption.AllDirectories), Is.Empty, "no temp file or folder of the run is left");
        var sleeping = ProcessResult.Run("pgrep", ["-f", "sleep 41"], Path.GetTempPath());
        Assert.That(sleeping.Stdout.Trim(), Is.Empty, "the builder the run started was stopped too");
    }

    [Test]
    public void A_failed_compile_shows_its_last_lines_and_keeps_the_full_log_in_the_units_folder()
    {
        Sandbox.RequireTools("make", "cc");
        using var box = new Sandbox();
        box.AddMakePackage("noisy");
        box.Write("packages/noisy/Makefile", "all:\n\t@for i in $$(seq 1 100); do echo \"line $$i of the build\"; done\n\t@exit 3\n\ntest: all\n");
        var r = box.Run("--target=Build");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        var log = $"packages/noisy/build/dev/{Host}/logs/compiled.log";
        Assert.That(r.Output, Does.Match(@"last 40 of 10\d lines of output").And.Contain($"full log: {log}"));
        Assert.That(r.Output, Does.Not.Contain("line 1 of the build\n"), "the error shows only the tail");
        var text = File.ReadAllText(Path.Combine(box.Root, log));
        Assert.That(text, Does.Contain("line 1 of the build").And.Contain("line 100 of the build").And.Contain("exit code 2"));
    }

    [Test]
    public void Release_ships_prod_stripped_binaries_without_build_paths_signed_with_a_local_key()
    {
        Sandbox.RequireTools("cmake", "cc", "node", "npm", "file", "strings");
        if (!File.Exists(Path.Combine(Sandbox.RepoRoot, "node_modules", "verdaccio", "bin", "verdaccio")))
            Assert.Ignore("verdaccio is not installed: run `npm ci` in the repo (test.sh does)");
        using var box = new Sandbox();
        AddCMakePackage(box, "where");
        box.CommitAll();
        box.AddReleaseTooling();
        var release = box.Run("--target=Release");
        Assert.That(release.ExitCode, Is.Zero, release.Output);
        Assert.That(release.Output, Does.Contain("created the local signing key .btm/keys/local-signing-key.pem").And.Contain("local registry only"));
        Assert.That(release.Output, Does.Not.Contain("refuses it without --allow-unsigned"));
        Assert.That(File.Exists(Path.Combine(box.ReleaseDir, "manifest.json.sig")), Is.True, "the manifest is signed");
        Assert.That(release.Output, Does.Contain("signature"), "Verify checked the signature");

        // The binary as shipped: out of the platform tarball.
        var unpacked = Path.Combine(box.Root, "unpacked");
        Directory.CreateDirectory(unpacked);
        var tarball = Directory.GetFiles(Path.Combine(box.ReleaseDir, "npm"), $"btm-where-{Host}-*.tgz").Single();
        Assert.That(ProcessResult.Run("tar", ["-xzf", tarball, "-C", unpacked], box.Root).ExitCode, Is.Zero);
        var binary = Path.Combine(unpacked, "package", "bin", "where");
        var file = ProcessResult.Run("file", [binary], box.Root).Stdout;
        Assert.That(file, Does.Contain(", stripped").And.Not.Contain("not stripped").And.Not.Contain("debug_info"), file);
        var strings = ProcessResult.Run("strings", ["-a", binary], box.Root).Stdout;
        Assert.That(strings, Does.Not.Contain(box.Root), "no absolute build path in the shipped binary");
        Assert.That(ProcessResult.Run(binary, ["--where"], box.Root).Stdout.Trim(), Is.EqualTo("./src/main.c").Or.EqualTo("src/main.c"), "the source path as the package sees it (gcc keeps the ./ of the map, clang drops it)");

        var again = box.Run("--target=Release");
        Assert.That(again.ExitCode, Is.Zero, again.Output);
        Assert.That(again.Output, Does.Contain("using the local signing key"));

        var remote = box.Run("--target=Release", "--registry=http://127.0.0.1:9");
        Assert.That(remote.ExitCode, Is.EqualTo(1), remote.Output);
        Assert.That(remote.Output, Does.Contain("needs a signed manifest").And.Contain("--signing-key").And.Contain("--allow-unsigned"));
    }

    [Test]
    public void A_musl_package_holding_a_glibc_binary_is_refused_before_packing()
    {
        Sandbox.RequireTools("make", "gcc", "musl-gcc", "npm");
        using var box = new Sandbox();
        box.AddMakePackage("libcmix", extraJson: "\"targets\": [\"linux-x64-musl\"]");
        // Ignores $(CC): the host's gcc links glibc whatever the target.
        box.Write("packages/libcmix/Makefile", "all:\n\tgcc -o $(BTM_OUT_DIR)/libcmix src/main.c\n\ntest: all\n");
        box.CommitAll();
        var r = box.Run("--target=Package", "--platform=linux-x64-musl");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Output);
        Assert.That(r.Output, Does.Contain("libcmix linux-x64-musl").And.Contain("needs the loader /lib64/ld-linux-x86-64.so.2")
            .And.Contain("a makefile must use $(CC)"));
        Assert.That(Directory.Exists(box.ReleaseDir), Is.False, "nothing was packed");
    }

    [Test]
    public void Release_installs_a_missing_Debian_package_itself_and_other_targets_name_the_command()
    {
        Sandbox.RequireTools("make", "cc", "apt-get", "dpkg-query", "node", "npm");
        if (Environment.UserName != "root")
            Assert.Ignore("installing a Debian package needs root here (the release job uses sudo -n elsewhere)");
        if (!File.Exists(Path.Combine(Sandbox.RepoRoot, "node_modules", "verdaccio", "bin", "verdaccio")))
            Assert.Ignore("verdaccio is not installed: run `npm ci` in the repo (test.sh does)");
        // GNU hello: a tiny package nothing else needs. Put back as it was afterwards.
        var hadHello = ProcessResult.Run("dpkg-query", ["-W", "-f=${Status}", "hello"], Path.GetTempPath()).Stdout.Contains("install ok installed");
        if (hadHello)
            Assert.That(ProcessResult.Run("apt-get", ["remove", "-y", "-qq", "hello"], Path.GetTempPath(), timeoutSeconds: 300).ExitCode, Is.Zero);
        try
        {
            using var box = new Sandbox();
            box.AddEchoer("greeter", "\"tools\": [{ \"name\": \"hello\", \"command\": \"hello\", \"install\": { \"linux\": \"apt-get install hello\" } }]");
            box.CommitAll();
            box.AddReleaseTooling();
            var build = box.Run("--target=Build");
            Assert.That(build.ExitCode, Is.EqualTo(1), build.Output);
            Assert.That(build.Output, Does.Contain("sudo apt-get install hello").And.Contain("--target=Release and CI runs install them themselves"));

            var release = box.Run("--target=Release");
            Assert.That(release.ExitCode, Is.Zero, release.Output);
            Assert.That(release.Output, Does.Contain("installing hello (apt-get)").And.Contain("installed hello"));
            Assert.That(ProcessResult.Run("dpkg-query", ["-W", "-f=${Status}", "hello"], Path.GetTempPath()).Stdout, Does.Contain("install ok installed"));
        }
        finally
        {
            if (!hadHello)
                ProcessResult.Run("apt-get", ["remove", "-y", "-qq", "hello"], Path.GetTempPath(), timeoutSeconds: 300);
        }
    }
}

using Btm.Cake.CMake;
using Btm.Cake.Make;
using Btm.Cake.Strip;
using Btm.Cake.Tooling;

namespace Btm.Cake.Tests;

/// <summary>The aliases against the real cmake, ctest, make, gcc and strip.</summary>
public class RealToolTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Tools.TempDir();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private void Write(string relative, string text)
    {
        var full = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    [Test]
    public void CMake_configure_build_and_ctest_run_a_real_project()
    {
        Tools.Require("cmake");
        Tools.Require("cc");
        Write("src/CMakeLists.txt", """
            cmake_minimum_required(VERSION 3.20)
            project(hello C)
            add_executable(hello main.c)
            target_compile_definitions(hello PRIVATE GREETING="${GREETING}")
            enable_testing()
            add_test(NAME runs COMMAND hello)
            """);
        Write("src/main.c", "#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n");
        var context = Tools.Context();
        context.CMakeConfigure(new CMakeConfigureSettings
        {
            SourcePath = Path.Combine(_dir, "src"),
            BuildPath = Path.Combine(_dir, "out"),
            BuildType = "Release",
            CacheVariables = { ["GREETING"] = "hi from cmake" },
        });
        context.CMakeBuild(new CMakeBuildSettings { BuildPath = Path.Combine(_dir, "out") });
        Assert.That(File.Exists(Path.Combine(_dir, "out", "hello")), Is.True);
        var output = context.CTest(new CTestSettings { TestDirectory = Path.Combine(_dir, "out") });
        Assert.That(output, Has.Some.Contains("100% tests passed"));
    }

    [Test]
    public void A_failing_tool_reports_its_command_and_output_tail()
    {
        Tools.Require("cmake");
        Write("src/CMakeLists.txt", "cmake_minimum_required(VERSION 3.20)\nproject(broken C)\nmessage(FATAL_ERROR \"the sentinel error text\")\n");
        var context = Tools.Context();
        var e = Assert.Throws<ToolFailedException>(() => context.CMakeConfigure(new CMakeConfigureSettings
        {
            SourcePath = Path.Combine(_dir, "src"),
            BuildPath = Path.Combine(_dir, "out"),
        }))!;
        Assert.That(e.ExitCode, Is.Not.Zero);
        Assert.That(e.CommandLine, Does.Contain("cmake").And.Contain("-S").And.Contain(Path.Combine(_dir, "src")));
        Assert.That(e.Message, Does.Contain("the sentinel error text"));
        Assert.That(e.Tail, Has.Count.LessThanOrEqualTo(CapturingTool<CMakeConfigureSettings>.TailLines));
    }

    [Test]
    public void CTest_fails_when_a_test_fails_and_when_there_are_none()
    {
        Tools.Require("cmake");
        Tools.Require("cc");
        Write("src/CMakeLists.txt", """
            cmake_minimum_required(VERSION 3.20)
            project(t C)
            add_executable(fails main.c)
            enable_testing()
            add_test(NAME fails COMMAND fails)
            """);
        Write("src/main.c", "#include <stdio.h>\nint main(void) { puts(\"assertion output\"); return 3; }\n");
        var context = Tools.Context();
        context.CMakeConfigure(new CMakeConfigureSettings { SourcePath = Path.Combine(_dir, "src"), BuildPath = Path.Combine(_dir, "out") });
        context.CMakeBuild(new CMakeBuildSettings { BuildPath = Path.Combine(_dir, "out") });
        var e = Assert.Throws<ToolFailedException>(() => context.CTest(new CTestSettings { TestDirectory = Path.Combine(_dir, "out") }))!;
        Assert.That(e.Message, Does.Contain("assertion output"));

        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.Throws<ToolFailedException>(() => context.CTest(new CTestSettings { TestDirectory = empty }));
    }

    [Test]
    public void Make_builds_with_the_platform_makefile_and_variables()
    {
        Tools.Require("make");
        Tools.Require("cc");
        Write("pkg/Makefile", "all:\n\t@echo generic > $(OUT)/which\n");
        Write("pkg/Makefile.linux", "all:\n\t@echo linux > $(OUT)/which\n");
        var context = Tools.Context();
        context.Make(new MakeSettings { Directory = Path.Combine(_dir, "pkg"), Platform = "linux-x64", Variables = { ["OUT"] = _dir } });
        Assert.That(File.ReadAllText(Path.Combine(_dir, "which")).Trim(), Is.EqualTo("linux"));
    }

    [Test]
    public void Strip_removes_symbols_from_a_real_binary_that_still_runs()
    {
        Tools.Require("cc");
        Tools.Require("strip");
        Write("main.c", "int helper_symbol_for_test(int x) { return x + 1; }\nint main(void) { return helper_symbol_for_test(-1); }\n");
        var binary = Path.Combine(_dir, "prog");
        var cc = System.Diagnostics.Process.Start("cc", ["-g", "-o", binary, Path.Combine(_dir, "main.c")])!;
        cc.WaitForExit();
        Assert.That(cc.ExitCode, Is.Zero);
        var before = new FileInfo(binary).Length;
        Assert.That(File.ReadAllText(binary), Does.Contain("helper_symbol_for_test"));

        Tools.Context().Strip(new StripSettings { Files = [binary] });

        Assert.That(new FileInfo(binary).Length, Is.LessThan(before));
        Assert.That(File.ReadAllText(binary), Does.Not.Contain("helper_symbol_for_test"));
        var run = System.Diagnostics.Process.Start(binary)!;
        run.WaitForExit();
        Assert.That(run.ExitCode, Is.Zero);
    }

    [Test]
    public void A_missing_tool_is_named()
    {
        var context = Tools.Context();
        var e = Assert.Throws<Btm.Core.BuildFailedException>(() => context.Strip(new StripSettings { Files = ["/x"], Executable = "no-such-strip-tool" }))!;
        Assert.That(e.Message, Does.StartWith("Strip: could not find no-such-strip-tool"));
    }
}

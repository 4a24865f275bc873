using Btm.Cake.CMake;
using Btm.Cake.Make;
using Btm.Cake.Strip;
using Cake.Core.IO;
using Path = System.IO.Path;

namespace Btm.Cake.Tests;

public class ArgumentRenderingTests
{

    [Test]
    public void CMake_configure_renders_generator_toolchain_and_sorted_cache_variables()
    {
        var env = Tools.Environment();
        var args = CMakeConfigurer.BuildArguments(new CMakeConfigureSettings
        {
            SourcePath = "/src/pkg",
            BuildPath = "/src/pkg/build work",
            Generator = "Unix Makefiles",
            BuildType = "Release",
            ToolchainFile = "/tc/aarch64.cmake",
            CacheVariables = { ["Z_LAST"] = "1", ["A_FIRST"] = "value with space" },
        }, env).Render();
        Assert.That(args, Is.EqualTo(
            "-S \"/src/pkg\" -B \"/src/pkg/build work\" -G \"Unix Makefiles\" \"-DCMAKE_BUILD_TYPE=Release\" " +
            "\"-DCMAKE_TOOLCHAIN_FILE=/tc/aarch64.cmake\" \"-DA_FIRST=value with space\" \"-DZ_LAST=1\""));
    }

    [Test]
    public void CMake_build_and_ctest_render_parallelism()
    {
        var env = Tools.Environment();
        var build = CMakeBuilder.BuildArguments(new CMakeBuildSettings { BuildPath = "/b", ParallelJobs = 3, Configuration = "Debug", Targets = ["app"] }, env).Render();
        Assert.That(build, Is.EqualTo("--build \"/b\" --parallel 3 --config \"Debug\" --target \"app\""));
        var defaultJobs = CMakeBuilder.BuildArguments(new CMakeBuildSettings { BuildPath = "/b" }, env).Render();
        Assert.That(defaultJobs, Is.EqualTo($"--build \"/b\" --parallel {Environment.ProcessorCount}"));
        var ctest = CTestRunner.BuildArguments(new CTestSettings { TestDirectory = "/b", ParallelJobs = 2 }, env).Render();
        Assert.That(ctest, Is.EqualTo("--test-dir \"/b\" --output-on-failure --parallel 2 --no-tests=error"));
    }

    [Test]
    public void Make_picks_the_most_specific_makefile()
    {
        var dir = Tools.TempDir();
        File.WriteAllText(Path.Combine(dir, "Makefile"), "");
        Assert.That(MakeRunner.SelectMakefile(dir, "linux-x64"), Is.EqualTo("Makefile"));
        File.WriteAllText(Path.Combine(dir, "Makefile.linux"), "");
        Assert.That(MakeRunner.SelectMakefile(dir, "linux-x64"), Is.EqualTo("Makefile.linux"));
        File.WriteAllText(Path.Combine(dir, "Makefile.linux-x64"), "");
        Assert.That(MakeRunner.SelectMakefile(dir, "linux-x64"), Is.EqualTo("Makefile.linux-x64"));
        Assert.That(MakeRunner.SelectMakefile(dir, "darwin-arm64"), Is.EqualTo("Makefile"));
        Directory.Delete(dir, true);
        Assert.That(MakeRunner.SelectMakefile(dir, "linux-x64"), Is.Null);
    }

    [Test]
    public void Make_renders_variables_in_order_and_fails_clearly_without_a_makefile()
    {
        var dir = Tools.TempDir();
        File.WriteAllText(Path.Combine(dir, "Makefile.win32"), "");
        var env = Tools.Environment();
        var args = MakeRunner.BuildArguments(new MakeSettings
        {
            Directory = dir, Platform = "win32-x64", Jobs = 4, Variables = { ["OUT"] = "/o", ["CC"] = "x86_64-w64-mingw32-gcc" }, Targets = ["all"],
        }, env).Render();
        Assert.That(args, Is.EqualTo($"-C \"{dir}\" -f \"Makefile.win32\" -j 4 \"CC=x86_64-w64-mingw32-gcc\" \"OUT=/o\" \"all\""));
        var e = Assert.Throws<Btm.Core.BuildFailedException>(() => MakeRunner.BuildArguments(new MakeSettings { Directory = dir, Platform = "linux-x64" }, env))!;
        Assert.That(e.Message, Does.Contain("no makefile").And.Contain("Makefile.linux-x64"));
    }

    [Test]
    public void Strip_flavors_render_their_own_flags()
    {
        var env = Tools.Environment();
        FilePath file = "/o/tool";
        Assert.That(StripRunner.BuildArguments(new StripSettings { Files = [file] }, env).Render(), Is.EqualTo("--strip-all \"/o/tool\""));
        Assert.That(StripRunner.BuildArguments(new StripSettings { Files = [file], All = false }, env).Render(), Is.EqualTo("--strip-debug \"/o/tool\""));
        Assert.That(StripRunner.BuildArguments(new StripSettings { Files = [file], Flavor = StripFlavor.Darwin }, env).Render(), Is.EqualTo("-x \"/o/tool\""));
        Assert.Throws<ArgumentException>(() => StripRunner.BuildArguments(new StripSettings { Files = [] }, env));
    }
}

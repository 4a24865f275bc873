using Cake.Core;
using Cake.Core.Annotations;

namespace Btm.Cake.CMake;

/// <summary>CMake and CTest, as Cake aliases.</summary>
[CakeAliasCategory("CMake")]
public static class CMakeAliases
{
    /// <summary>Configures a CMake build tree (<c>cmake -S -B</c>).</summary>
    [CakeMethodAlias]
    public static void CMakeConfigure(this ICakeContext context, CMakeConfigureSettings settings) =>
        new CMakeConfigurer(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Configure(settings);

    /// <summary>Builds a configured tree (<c>cmake --build</c>).</summary>
    [CakeMethodAlias]
    public static void CMakeBuild(this ICakeContext context, CMakeBuildSettings settings) =>
        new CMakeBuilder(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Build(settings);

    /// <summary>Runs a tree's tests with ctest; returns ctest's stdout.</summary>
    [CakeMethodAlias]
    public static IReadOnlyList<string> CTest(this ICakeContext context, CTestSettings settings) =>
        new CTestRunner(context.FileSystem, context.Environment, context.ProcessRunner, context.Tools).Test(settings);
}

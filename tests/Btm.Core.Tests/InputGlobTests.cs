using Btm.Core.Keys;

namespace Btm.Core.Tests;

public class InputGlobTests
{
    private static bool Matches(string pattern, string path) => new InputGlob(pattern).Matches(path.Split('/'));

    [TestCase("src/**", "src/main.c", true)]
    [TestCase("src/**", "src/a/b/c.h", true)]
    [TestCase("src/**", "src", false)]
    [TestCase("src/**", "srcx/main.c", false)]
    [TestCase("**/*", "CMakeLists.txt", true)]
    [TestCase("**/*", "a/b/c", true)]
    [TestCase("**/*.c", "main.c", true)]
    [TestCase("**/*.c", "src/deep/main.c", true)]
    [TestCase("**/*.c", "src/main.h", false)]
    [TestCase("src/*.c", "src/main.c", true)]
    [TestCase("src/*.c", "src/sub/main.c", false)]
    [TestCase("src/**/test_*.c", "src/test_a.c", true)]
    [TestCase("src/**/test_*.c", "src/x/y/test_b.c", true)]
    [TestCase("src/**/test_*.c", "src/x/y/b_test.c", false)]
    [TestCase("CMakeLists.txt", "CMakeLists.txt", true)]
    [TestCase("CMakeLists.txt", "cmakelists.txt", false)]
    [TestCase("./Makefile", "Makefile", true)]
    [TestCase("file?.txt", "file1.txt", true)]
    [TestCase("file?.txt", "file10.txt", false)]
    [TestCase("*a*b*", "xaxxbx", true)]
    [TestCase("*a*b*", "xbxxax", false)]
    public void Patterns_match_per_segment(string pattern, string path, bool expected) =>
        Assert.That(Matches(pattern, path), Is.EqualTo(expected));

    [TestCase("src/**", "src", true)]
    [TestCase("src/**", "test", false)]
    [TestCase("src/*.c", "src", true)]
    [TestCase("src/*.c", "src/sub", false)]
    [TestCase("CMakeLists.txt", "src", false)]
    [TestCase("**/*.c", "any/depth", true)]
    public void Folders_that_cannot_match_are_not_walked(string pattern, string folder, bool expected) =>
        Assert.That(new InputGlob(pattern).CouldMatchBelow(folder.Split('/')), Is.EqualTo(expected));

    [Test]
    public void The_input_set_skips_build_output_temp_files_and_symlinked_folders()
    {
        using var dir = new TempDir();
        dir.Write("src/main.c", "x");
        dir.Write("src/nested/build/keep.c", "x");
        dir.Write("build/dev/out/p", "x");
        dir.Write("src/.main.c.tmp-1", "x");
        using var outside = new TempDir();
        outside.Write("secret.c", "x");
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "src", "linked"), outside.Path);

        Assert.That(InputSet.Collect(dir.Path, ["**/*"]), Is.EqualTo(new[] { "src/main.c", "src/nested/build/keep.c" }));
    }
}

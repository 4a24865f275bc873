using Btm.Core.Keys;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

public class CacheKeyTests
{
    private static readonly IReadOnlyDictionary<string, string> NoDeps = new Dictionary<string, string>();

    private static TempDir Package()
    {
        var dir = new TempDir();
        dir.Write("btm.json", """{"name": "p"}""");
        dir.Write("CMakeLists.txt", "project(p C)\n");
        dir.Write("src/main.c", "int main(void) { return 0; }\n");
        dir.Write("src/util.h", "#define X 1\n");
        return dir;
    }

    private static KeyRequest Request(TempDir dir, string[]? globs = null) => new(
        "p", dir.Path, InputSet.Collect(dir.Path, globs ?? ["CMakeLists.txt", "src/**"]),
        Path.Combine(dir.Path, "btm.json"), "compiler: /usr/bin/cc\ncc (GCC) 12.2.0",
        new Dictionary<string, string> { ["CFLAGS"] = "-O2" }, "0.1.0", "dev", PlatformId.Parse("linux-x64"), NoDeps);

    private static string Key(KeyRequest r) => CacheKey.Compute(r).Key;

    [Test]
    public void Inputs_are_sorted_relative_paths_without_build_output()
    {
        using var dir = Package();
        dir.Write("build/dev/linux-x64/out/Final/p", "binary");
        dir.Write("src/.main.c.tmp-abc", "half-written");
        Assert.That(InputSet.Collect(dir.Path, ["**/*"]), Is.EqualTo(new[] { "CMakeLists.txt", "btm.json", "src/main.c", "src/util.h" }));
    }

    [Test]
    public void Golden_key_pins_the_derivation()
    {
        // If this changes, every user's cache misses once: change it only on purpose, with
        // docs/checkpoints.md updated to match.
        using var dir = Package();
        var components = CacheKey.Compute(Request(dir));
        Assert.That(components.Key, Is.EqualTo(GoldenKey));
        Assert.That(components.Files, Is.EqualTo(GoldenFiles));
    }

    public const string GoldenKey = "f22788d24dfc05ee19e7ae273266b03b8a23ca7597efae43ac6519db3e35256b";
    public const string GoldenFiles = "74ec9c314d3538d7af0df6ea207e5f54702dcac2e1de89e20c8b6336c24b5a15";

    [Test]
    public void Small_and_large_input_sets_hash_files_the_same_way()
    {
        // Small sets are hashed in managed code, large ones with OpenSSL: the key must not tell.
        foreach (var size in new[] { 1000, 5 << 20 })
        {
            using var dir = Package();
            var blob = new byte[size];
            new Random(size).NextBytes(blob);
            dir.WriteBytes("src/blob.bin", blob);
            var request = Request(dir);
            var expected = new KeyDigest("btm-files/1");
            foreach (var rel in request.InputFiles)
            {
                var bytes = File.ReadAllBytes(Path.Combine(dir.Path, rel));
                expected.Add("path", rel).Add("size", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Add("sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
            }
            Assert.That(CacheKey.Compute(request).Files, Is.EqualTo(expected.Hex()), $"{size}-byte blob");
        }
    }

    [Test]
    public void Same_inputs_in_another_folder_give_the_same_key()
    {
        using var a = Package();
        using var b = Package();
        Assert.That(a.Path, Is.Not.EqualTo(b.Path));
        var first = Key(Request(a));
        Assert.That(Key(Request(b)), Is.EqualTo(first));
        var again = Key(Request(a));
        Assert.That(again, Is.EqualTo(first), "a second run over the same tree");
    }

    [Test]
    public void File_timestamps_do_not_matter()
    {
        using var dir = Package();
        var before = Key(Request(dir));
        File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "src/main.c"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.That(Key(Request(dir)), Is.EqualTo(before));
    }

    [Test]
    public void An_unrelated_file_does_not_change_the_key()
    {
        using var dir = Package();
        var before = Key(Request(dir));
        dir.Write("README.md", "notes");
        dir.Write("build/dev/linux-x64/work/x.o", "object");
        Assert.That(Key(Request(dir)), Is.EqualTo(before));
    }

    [Test]
    public void Each_input_class_changes_the_key_and_is_named()
    {
        using var dir = Package();
        var baseRequest = Request(dir);
        var baseline = CacheKey.Compute(baseRequest);

        void Expect(string component, KeyRequest changed)
        {
            var after = CacheKey.Compute(changed);
            Assert.That(after.Key, Is.Not.EqualTo(baseline.Key), component);
            Assert.That(after.DifferencesFrom(baseline), Is.EqualTo(new[] { component }), component);
        }

        Expect("toolchain", baseRequest with { ToolchainIdentity = "compiler: /usr/bin/cc\ncc (GCC) 12.3.0" });
        Expect("environment", baseRequest with { Environment = new Dictionary<string, string> { ["CFLAGS"] = "-O3" } });
        Expect("environment", baseRequest with { Environment = new Dictionary<string, string> { ["CFLAGS"] = "-O2", ["LDFLAGS"] = "-s" } });
        Expect("target", baseRequest with { Mode = "prod" });
        Expect("target", baseRequest with { Platform = PlatformId.Parse("linux-arm64") });
        Expect("target", baseRequest with { Version = "0.1.1" });
        Expect("dependencies", baseRequest with { DependencyKeys = new Dictionary<string, string> { ["lib"] = new('a', 64) } });

        File.WriteAllText(Path.Combine(dir.Path, "btm.json"), """{"name": "p", "test": false}""");
        Expect("manifest", Request(dir));
        File.WriteAllText(Path.Combine(dir.Path, "btm.json"), """{"name": "p"}""");
        Assert.That(Key(Request(dir)), Is.EqualTo(baseline.Key));
    }

    [TestCase("edit")]
    [TestCase("add")]
    [TestCase("remove")]
    [TestCase("rename")]
    public void Source_changes_change_the_files_component(string change)
    {
        using var dir = Package();
        var baseline = CacheKey.Compute(Request(dir));
        var util = Path.Combine(dir.Path, "src/util.h");
        switch (change)
        {
            case "edit": File.AppendAllText(util, "#define Y 2\n"); break;
            case "add": dir.Write("src/extra.c", ""); break;
            case "remove": File.Delete(util); break;
            case "rename": File.Move(util, Path.Combine(dir.Path, "src/util2.h")); break;
        }
        var after = CacheKey.Compute(Request(dir));
        Assert.That(after.DifferencesFrom(baseline), Is.EqualTo(new[] { "files" }));
    }

    [Test]
    public void Bytes_are_hashed_raw_not_as_text()
    {
        using var dir = Package();
        dir.WriteBytes("src/main.c", "int main(void) { return 0; }\n"u8.ToArray());
        var lf = Key(Request(dir));
        dir.WriteBytes("src/main.c", "int main(void) { return 0; }\r\n"u8.ToArray());
        var crlf = Key(Request(dir));
        dir.WriteBytes("src/main.c", [0xEF, 0xBB, 0xBF, .. "int main(void) { return 0; }\n"u8.ToArray()]);
        var bom = Key(Request(dir));
        Assert.That(new[] { lf, crlf, bom }, Is.Unique);
    }

    [Test]
    public void Moving_bytes_between_files_changes_the_key()
    {
        // Length-prefixed fields: "ab" + "c" must differ from "a" + "bc".
        using var dir = new TempDir();
        dir.Write("btm.json", "{}");
        dir.Write("a", "ab");
        dir.Write("b", "c");
        var first = Key(Request(dir, ["a", "b"]));
        dir.Write("a", "a");
        dir.Write("b", "bc");
        Assert.That(Key(Request(dir, ["a", "b"])), Is.Not.EqualTo(first));
    }

    [Test]
    public void Dependency_keys_cascade()
    {
        using var dir = Package();
        var withDep = Request(dir) with { DependencyKeys = new Dictionary<string, string> { ["lib"] = new('a', 64) } };
        var withChangedDep = withDep with { DependencyKeys = new Dictionary<string, string> { ["lib"] = new('b', 64) } };
        Assert.That(Key(withChangedDep), Is.Not.EqualTo(Key(withDep)));
    }

    [Test]
    public void Environment_capture_keeps_only_build_relevant_variables()
    {
        var env = new Dictionary<string, string?> { ["CC"] = "clang", ["MAKEFLAGS"] = "-j8", ["HOME"] = "/root", ["CFLAGS"] = "", ["AR"] = "llvm-ar" };
        var captured = BuildEnvironment.Capture(name => env.GetValueOrDefault(name));
        Assert.That(captured, Is.EqualTo(new Dictionary<string, string> { ["AR"] = "llvm-ar" }), "CC is in the toolchain identity, by name and version");
    }

    [Test]
    public void A_program_variable_enters_by_name_and_flags_not_by_where_the_program_is()
    {
        var laptop = BuildEnvironment.Capture(n => n switch { "CC" => "/usr/bin/gcc -m64", "AR" => "/usr/bin/ar", "CFLAGS" => "-O2 -I/usr/include/x", _ => null });
        var runner = BuildEnvironment.Capture(n => n switch { "CC" => "/opt/gcc-12/bin/gcc -m64", "AR" => "/opt/binutils/bin/ar", "CFLAGS" => "-O2 -I/usr/include/x", _ => null });
        Assert.That(runner, Is.EqualTo(laptop));
        Assert.That(laptop["CC"], Is.EqualTo("-m64"), "the compiler's flags; the compiler itself is in the toolchain identity");
        Assert.That(laptop["AR"], Is.EqualTo("ar"));
        Assert.That(BuildEnvironment.Capture(n => n == "CC" ? "/opt/bin/gcc" : null), Is.Empty, "CC naming only the compiler adds nothing");
        Assert.That(BuildEnvironment.Capture(n => n == "AR" ? "/usr/bin/llvm-ar" : null)["AR"], Is.Not.EqualTo(laptop["AR"]), "another archiver is another key");
        Assert.That(laptop["CFLAGS"], Is.EqualTo("-O2 -I/usr/include/x"), "flags with paths are kept whole: they change what is built");
    }
}

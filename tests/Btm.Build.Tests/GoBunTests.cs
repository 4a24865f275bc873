using System.Security.Cryptography;
using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>The go and bun builders' promises beyond one release: reproducible bytes, no network, clear failures.</summary>
public class GoBunBuilderTests
{
    private static Sandbox With(string example)
    {
        var box = new Sandbox();
        Sandbox.CopyTree(Path.Combine(Sandbox.RepoRoot, "examples", example), box.Package(example));
        box.CommitAll();
        return box;
    }

    private static string Sha(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    [Test]
    public void Two_clones_at_different_paths_pack_byte_identical_go_tarballs()
    {
        Sandbox.RequireTools("go", "npm");
        using var first = With("hello-go");
        using var second = With("hello-go");
        var tarballs = new List<Dictionary<string, string>>();
        foreach (var box in new[] { first, second })
        {
            var package = box.Run("--target=Package", "--package=hello-go", "--platform=linux-x64,linux-arm64,win32-x64,darwin-arm64");
            Assert.That(package.ExitCode, Is.Zero, package.Output);
            tarballs.Add(Directory.GetFiles(Path.Combine(box.ReleaseDir, "npm"), "btm-hello-go-*.tgz").ToDictionary(f => Path.GetFileName(f), Sha));
        }
        Assert.That(tarballs[0].Keys.Order(), Is.EqualTo(new[] { "btm-hello-go-0.1.0.tgz", "btm-hello-go-darwin-arm64-0.1.0.tgz", "btm-hello-go-linux-arm64-0.1.0.tgz", "btm-hello-go-linux-x64-0.1.0.tgz", "btm-hello-go-win32-x64-0.1.0.tgz" }));
        foreach (var (name, sha) in tarballs[0].Where(t => t.Key != "btm-hello-go-0.1.0.tgz"))
            Assert.That(tarballs[1][name], Is.EqualTo(sha), $"{name} from {first.Root} and {second.Root}");
    }

    [Test]
    public void Bun_builds_from_the_download_cache_alone_and_two_clones_compile_the_same_bytes()
    {
        Sandbox.RequireTools("node");
        using var first = With("hello-bun");
        using var second = With("hello-bun");
        var warm = first.Run("--target=Build", "--package=hello-bun", "--platform=linux-arm64,win32-x64");
        Assert.That(warm.ExitCode, Is.Zero, warm.Output);
        // Another clone, offline, with a HOME of its own and every proxy dead: only the download cache serves it, and bun fetches nothing.
        var home = Path.Combine(second.Root, "home");
        Directory.CreateDirectory(home);
        var cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "btm", "downloads");
        var offline = second.RunWith(new Dictionary<string, string?>
        {
            ["HOME"] = home, ["BTM_DOWNLOAD_DIR"] = Environment.GetEnvironmentVariable("BTM_DOWNLOAD_DIR") ?? cache,
            ["HTTPS_PROXY"] = "http://127.0.0.1:9", ["HTTP_PROXY"] = "http://127.0.0.1:9", ["https_proxy"] = "http://127.0.0.1:9", ["http_proxy"] = "http://127.0.0.1:9",
            ["BUN_INSTALL_CACHE_DIR"] = null, ["DOTNET_CLI_HOME"] = Path.Combine(home, ".dotnet"),
        }, "--target=Build", "--package=hello-bun", "--platform=linux-arm64,win32-x64", "--offline");
        Assert.That(offline.ExitCode, Is.Zero, offline.Output);
        Assert.That(Directory.Exists(Path.Combine(home, ".bun")), Is.False, "bun kept nothing under HOME: it downloaded nothing");
        // Bun's output is deterministic for the same inputs: the only path it embeds is the output's name (/$bunfs/root/<name>).
        foreach (var file in new[] { "linux-arm64/out/Final/hello-bun", "win32-x64/out/Final/hello-bun.exe" })
            Assert.That(Sha(Path.Combine(second.Package("hello-bun"), "build", "dev", file)), Is.EqualTo(Sha(Path.Combine(first.Package("hello-bun"), "build", "dev", file))), file);
    }

    [Test]
    public void A_dependency_neither_vendored_nor_cached_fails_naming_the_fix()
    {
        Sandbox.RequireTools("go");
        using var box = With("hello-go");
        Directory.Delete(Path.Combine(box.Package("hello-go"), "vendor"), recursive: true);
        var gomodcache = Path.Combine(box.Root, "empty-modcache");
        var build = box.RunWith(new Dictionary<string, string?> { ["GOMODCACHE"] = gomodcache, ["GOPROXY"] = "off", ["GOFLAGS"] = null },
            "--target=Build", "--package=hello-go");
        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("btm.dev/examples/greet").And.Contain("a module could not be fetched").And.Contain("go mod vendor"));
    }

    [Test]
    public void Go_and_bun_sections_are_checked_naming_file_field_and_fix()
    {
        Sandbox.RequireTools("go", "node");
        using var box = With("hello-go");
        Sandbox.CopyTree(Path.Combine(Sandbox.RepoRoot, "examples", "hello-bun"), box.Package("hello-bun"));
        var go = Path.Combine(box.Package("hello-go"), "btm.json");
        var goText = File.ReadAllText(go);
        File.WriteAllText(go, goText.Replace("\"versionVariable\": \"main.version\"", "\"packages\": { \"hello-go\": \"../../etc\" }"));
        var outside = box.Run("--target=Build", "--package=hello-go");
        Assert.That(outside.ExitCode, Is.EqualTo(2), outside.Output);
        Assert.That(outside.Output, Does.Contain("go.packages.hello-go").And.Contain("btm.json"));
        File.WriteAllText(go, goText.Replace("\"versionVariable\": \"main.version\"", "\"ldflags\": [\"-linkmode=external\"]"));
        var external = box.Run("--target=Build", "--package=hello-go");
        Assert.That(external.ExitCode, Is.EqualTo(2), external.Output);
        Assert.That(external.Output, Does.Contain("go.ldflags").And.Contain("without cgo"));

        File.WriteAllText(go, goText);
        var bun = Path.Combine(box.Package("hello-bun"), "btm.json");
        var bunText = File.ReadAllText(bun);
        File.WriteAllText(bun, bunText.Replace("\"win32-x64\": \"2fa598bc6c8d20440929f9c18b6363c15323274dc0fc5031e33ea209e687121c\"", "\"win32-x64\": \"nope\""));
        var badSha = box.Run("--target=Build", "--package=hello-bun");
        Assert.That(badSha.ExitCode, Is.EqualTo(2), badSha.Output);
        Assert.That(badSha.Output, Does.Contain("bun.runtimes.win32-x64").And.Contain("npm tarball @oven/bun-windows-x64@1.4.4"));
        File.WriteAllText(bun, bunText.Replace("\"version\": \"1.4.4\"", "\"version\": \"1.3.0\""));
        var mismatch = box.Run("--target=Build", "--package=hello-bun", "--platform=linux-x64");
        Assert.That(mismatch.ExitCode, Is.EqualTo(2), mismatch.Output);
        Assert.That(mismatch.Output, Does.Contain("bun.version").And.Contain("is 1.3.0, and the bun that bundles").And.Contain("package-lock.json"));
    }
}

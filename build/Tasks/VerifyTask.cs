using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Publishing;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core;
using Btm.Core.Platforms;
using Btm.Core.Press;
using Btm.Core.Release;

namespace Btm.Build.Tasks;

[TaskName("Verify")]
[TaskDescription("Checks artifacts/<version>/ against its manifest: every hash, the signature, where each tarball installs, and that the host binary runs")]
public sealed class VerifyTask : AsyncBtmTask, IPerUnitTask
{
    // A closed port: optional dependencies that are not local tarballs fail at once instead of
    // reaching whatever registry the machine's npm is configured for.
    private const string NoRegistry = "http://127.0.0.1:9";

    public override async Task RunAsync(BuildContext context)
    {
        var releaseDir = ReleasePaths.ReleaseDir(context);
        var requireSignature = context.Settings.TrustedKeys.Count > 0 && !context.Options.AllowUnsigned;
        var report = ReleaseVerifier.Verify(releaseDir, SigningKey.Trusted(context), requireSignature);
        foreach (var note in report.Notes)
            context.Warn(note);
        Fail(context, report.Problems, "hash or signature");
        var manifest = report.Manifest!;
        context.Success($"hashes match: {manifest.Packages.Count} tarball(s), {manifest.Packages.Sum(p => p.Files.Count)} file(s), SHA256SUMS" +
            (manifest.Signed ? ", signature" : ""));

        if (manifest.Authenticode is { } authenticode)
        {
            var checkedFiles = CheckAuthenticode(context, releaseDir, manifest, authenticode, out var problems);
            Fail(context, problems, "Authenticode");
            context.Success($"Authenticode: {checkedFiles} win32 file(s) verify against {authenticode.Subject}");
        }
        if (manifest.Installers.Count > 0)
            context.Success($"installers: {manifest.Installers.Count} file(s) under {ManifestInstaller.Folder}/ match the manifest");
        var budgets = BudgetCheck.Run(context, releaseDir, manifest);
        Fail(context, budgets, "budget");

        if (context.ToolLookup.Find("npm") is null)
            throw new BuildFailedException($"npm is needed to check installs: {NodeTools.Advice(context.RepoRoot)}");
        var scratch = Path.Combine(Path.GetTempPath(), "btm-verify-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Fail(context, CheckPlatformSelection(context, releaseDir, manifest, scratch), "install");
            context.Success($"each platform package installs only on its own os/cpu/libc ({PlatformId.All.Count} platforms tried)");
            Fail(context, RunHostBinaries(context, releaseDir, manifest), "run");
            Fail(context, RunOtherPlatforms(context, releaseDir, manifest, scratch), "run");
            Fail(context, RunIsolated(context, releaseDir, manifest, scratch), "runtime dependency");
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
        if (context.Options.RegistryGiven)
            await VerifyOnRegistryAsync(context, manifest);
    }

    /// <summary>The release as it stands on --registry: integrity, tags, completeness (docs/publishing.md).</summary>
    private static async Task VerifyOnRegistryAsync(BuildContext context, ReleaseManifest manifest)
    {
        var local = context.Options.Registry == "local";
        using var localRegistry = local ? LocalRegistry.Start(context) : null;
        var url = localRegistry?.Url ?? context.Options.Registry;
        var token = Environment.GetEnvironmentVariable("NPM_TOKEN") is { Length: > 0 } t ? t : localRegistry?.Token(context);
        using var client = new RegistryClient(url, token);
        if (await client.PingAsync() is { } down)
            throw new BuildFailedException($"Verify --registry: {down}");
        var problems = await RegistryReleaseCheck.RunAsync(client, manifest, context.Options.Tag);
        foreach (var p in problems)
            context.Fail(p);
        if (problems.Count > 0)
            throw new BuildFailedException($"Verify found {problems.Count} problem(s) with release {manifest.Version} on {url}");
        context.Success($"on {url}: all {manifest.Packages.Count} package(s) of {manifest.Version} with the manifest's integrity, {context.Options.Tag} consistent, every tagged version complete");
    }

    /// <summary>
    /// Every Authenticode-signed file (the win32 programs in the platform tarballs and zips, the
    /// Windows installers) still verifies against the certificates the signed manifest names: a byte
    /// changed after signing, or a signature stripped, fails the release.
    /// </summary>
    private static int CheckAuthenticode(BuildContext context, string releaseDir, ReleaseManifest manifest, ManifestAuthenticode authenticode, out List<string> problems)
    {
        problems = [];
        if (context.ToolLookup.Find("osslsigncode") is null)
            throw new BuildFailedException("osslsigncode is needed to check the release's Authenticode signatures: apt-get install osslsigncode");
        var scratch = Directory.CreateTempSubdirectory("btm-authenticode-verify-").FullName;
        var count = 0;
        try
        {
            var ca = Path.Combine(scratch, "ca.pem");
            var bundle = "/etc/ssl/certs/ca-certificates.crt";
            File.WriteAllText(ca, File.ReadAllText(Path.Combine(releaseDir, authenticode.Certificates)) + (File.Exists(bundle) ? File.ReadAllText(bundle) : ""));
            var files = new List<(string Name, string File)>();
            foreach (var package in manifest.Packages.Where(p => p.Platform?.StartsWith("win32-", StringComparison.Ordinal) == true))
            {
                files.AddRange(TarballReader.Extract(Path.Combine(releaseDir, package.Tarball), p => p.StartsWith("package/bin/", StringComparison.Ordinal), scratch)
                    .Select(e => ($"{package.Tarball}: {e.Path}", e.File)));
            }
            foreach (var installer in manifest.Installers)
            {
                var path = Path.Combine(releaseDir, installer.File);
                if (installer.Format == InstallerOptions.Nsis)
                    files.Add((installer.File, path));
                else if (installer.Format == InstallerOptions.Zip)
                {
                    using var zip = System.IO.Compression.ZipFile.OpenRead(path);
                    foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)))
                    {
                        var copy = Path.Combine(scratch, $"zip-{files.Count}.exe");
                        System.IO.Compression.ZipFileExtensions.ExtractToFile(entry, copy);
                        files.Add(($"{installer.File}: {entry.FullName}", copy));
                    }
                }
            }
            foreach (var (name, file) in files)
            {
                count++;
                if (Authenticode.Check(context, file, ca) is { } problem)
                    problems.Add($"{name}: its Authenticode signature does not verify against {authenticode.Subject}: {problem}. Fix: run Package again from a clean tree");
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        return count;
    }

    private static void Fail(BuildContext context, IReadOnlyList<string> problems, string kind)
    {
        if (problems.Count == 0)
            return;
        foreach (var p in problems)
            context.Fail(p);
        throw new BuildFailedException($"Verify found {problems.Count} {kind} problem(s) in {Path.GetRelativePath(context.RepoRoot, ReleasePaths.ReleaseDir(context))}");
    }

    /// <summary>
    /// Installs every platform tarball as an optional dependency, as npm would on each known
    /// platform: exactly the matching one must be installed each time.
    /// </summary>
    private static List<string> CheckPlatformSelection(BuildContext context, string releaseDir, ReleaseManifest manifest, string scratch)
    {
        var problems = new List<string>();
        var platformPackages = manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind).ToList();
        if (platformPackages.Count == 0)
            return problems;
        // npm decides from package.json alone (os, cpu, libc), so each platform's install gets
        // stand-ins holding only the tarball's own package.json: eight installs of every full
        // tarball (hundreds of MB of gzip) took most of Verify. The real tarballs install and run below.
        var standIns = Path.Combine(scratch, "package-json-only");
        Directory.CreateDirectory(standIns);
        var dependencies = new Dictionary<string, string>();
        foreach (var package in platformPackages)
        {
            var standIn = Path.Combine(standIns, Path.GetFileName(package.Tarball));
            PackageJsonOnly(Path.Combine(releaseDir, package.Tarball), standIn);
            dependencies[package.Name] = "file:" + standIn.Replace('\\', '/');
        }
        // Each install is an npm process that mostly waits: running them side by side halves Verify.
        var perPlatform = new List<string>[PlatformId.All.Count];
        try
        {
            Parallel.For(0, PlatformId.All.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                var platform = PlatformId.All[i];
                var found = perPlatform[i] = [];
                var project = Path.Combine(scratch, "select-" + platform);
                Directory.CreateDirectory(project);
                InstallRunCheck.WritePackageJson(Path.Combine(project, "package.json"), "btm-verify", dependencies);
                context.NpmInstall(new NpmInstallSettings
                {
                    Prefix = project, Registry = NoRegistry, FetchRetries = 0, Os = platform.Os, Cpu = platform.Cpu, Libc = platform.Libc ?? "glibc",
                });
                foreach (var package in platformPackages)
                {
                    var installed = File.Exists(Path.Combine(project, "node_modules", package.Name, "package.json"));
                    var should = package.Platform == platform.ToString();
                    if (installed != should)
                        found.Add($"{package.Tarball}: on {platform} npm {(installed ? "installed" : "skipped")} {package.Name} (built for {package.Platform}); expected it {(should ? "installed" : "skipped")}");
                }
            });
        }
        catch (AggregateException e)
        {
            // The first npm failure, with its command and output, not "one or more errors occurred".
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        foreach (var found in perPlatform)
            problems.AddRange(found);
        return problems;
    }

    /// <summary>A .tgz holding only <paramref name="tarball"/>'s package/package.json, byte for byte.</summary>
    private static void PackageJsonOnly(string tarball, string output)
    {
        var json = TarballReader.ReadBytes(tarball, "package/package.json");
        using var file = File.Create(output);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest);
        using var writer = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Ustar);
        writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "package/package.json")
        {
            DataStream = new MemoryStream(json),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        });
    }

    private static string Clip(string text) => text.Split('\n')[0].Length <= 120 ? text.Split('\n')[0] : text.Split('\n')[0][..120] + "…";

    /// <summary>What running one other platform's tarball found: problems, and the line its platform gets.</summary>
    public sealed record TarballRun(List<string> Problems, string Platform, string Outcome, bool Replace);

    public UnitStep? Step(BuildContext context)
    {
        // Only for a run that packs: the step runs the tarball its unit's Package step just packed.
        if (context.Steps.Of<PackageTask>() is null || context.Packing is not { } packing)
            return null;
        return new UnitStep("Verify", u => packing.Ships(u) && u.Platform != context.Host, unit =>
        {
            var (tarball, package) = packing.Packed(unit);
            var scratch = Directory.CreateTempSubdirectory("btm-verify-unit-").FullName;
            try
            {
                context.TarballRuns[package.Sha256] = RunOtherPlatform(context, tarball, package, Path.Combine(scratch, "run"));
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        });
    }

    /// <summary>
    /// Every other platform's binaries, straight from their tarballs, where this machine can run
    /// them: natively (x64 musl), or through the target's emulator (qemu-user, wine). The rest are
    /// reported as not run, and why. One line per platform says which. A tarball this run already
    /// ran as soon as it was packed (the same sha256 the manifest now vouches for) is not run again.
    /// </summary>
    private static List<string> RunOtherPlatforms(BuildContext context, string releaseDir, ReleaseManifest manifest, string scratch)
    {
        var packages = manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind && p.Platform != context.Host.ToString()).ToList();
        // Each tarball unpacks and runs on its own (wine and qemu start slowly), --jobs at a time;
        // problems and the per-platform line come out in the manifest's order.
        var runs = new TarballRun[packages.Count];
        Parallel.For(0, packages.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.Options.Jobs) }, index =>
        {
            var package = packages[index];
            runs[index] = context.TarballRuns.TryGetValue(package.Sha256, out var earlier)
                ? earlier
                : RunOtherPlatform(context, Path.Combine(releaseDir, package.Tarball), package, Path.Combine(scratch, "run-" + NpmNames.Flat(package.Name)));
        });
        var ranEarlier = packages.Count(p => context.TarballRuns.ContainsKey(p.Sha256));
        var outcome = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            if (run.Replace)
                outcome[run.Platform] = run.Outcome;
            else
                outcome.TryAdd(run.Platform, run.Outcome);
        }
        if (outcome.Count > 0)
            context.Info("other platforms: " + string.Join("; ", outcome.Select(o => $"{o.Key} {o.Value}")) +
                (ranEarlier > 0 ? $" ({ranEarlier} of {packages.Count} tarball(s) ran as soon as they were packed)" : ""));
        return runs.SelectMany(r => r.Problems).ToList();
    }

    private static TarballRun RunOtherPlatform(BuildContext context, string tarball, ManifestPackage package, string dir)
    {
        var problems = new List<string>();
        var platform = PlatformId.Parse(package.Platform!);
        TarballRun Outcome(string text, bool replace = true) => new(problems, platform.ToString(), text, replace);
        var declared = context.Graph.Contains(package.Component) ? context.Graph[package.Component] : null;
        var probe = declared?.Verify ?? VerifyProbe.Default;
        if (!probe.Enabled)
            return Outcome($"not run: {probe.DisabledReason}");
        SafeArchive.Extract(tarball, Path.GetFileName(tarball), dir, 1);
        if (platform.Os == "darwin" && context.Host.Os != "darwin")
        {
            foreach (var binary in declared?.Binaries ?? [])
            {
                var report = MachOCheck.Check(Path.Combine(dir, "bin", binary), platform.Cpu);
                problems.AddRange(report.Problems.Select(p => $"{package.Tarball}: {p}"));
                if (report.Problems.Count == 0)
                    context.Success($"{binary} for {platform}: Mach-O executable, {report.Cpu}, macOS {report.MinimumOs}+, entry point" +
                        (report.Signed ? ", code signature" : ""));
            }
            return Outcome("checked, not run: needs a macOS runner");
        }
        var toolchain = context.Toolchains.Resolve(platform, context.Settings.GlibcFloor);
        if (!toolchain.Runnable(context.Host))
            return Outcome($"not run: no emulator for {platform} here ({toolchain.InstallHint})", replace: false);
        if (declared is not null && MuslLibraries.Missing(platform, context.Builders.For(declared).SystemLibraries(platform)) is { } missing)
            return Outcome($"not run: {missing}");
        var unrunnable = (declared?.Binaries ?? []).Select(b => Path.Combine(dir, "bin", b + platform.ExecutableSuffix))
            .FirstOrDefault(f => NeedsBinfmt(toolchain, f) is not null);
        if (unrunnable is not null)
            return Outcome($"not run: {NeedsBinfmt(toolchain, unrunnable)}");
        foreach (var binary in declared?.Binaries ?? [])
        {
            var file = Path.Combine(dir, "bin", binary + platform.ExecutableSuffix);
            var (ok, exit, output, expected) = ToolProbe.Probe(toolchain, file, binary, probe, package.Version);
            if (!ok)
                problems.Add($"{package.Tarball}: `{string.Join(" ", new[] { binary }.Concat(probe.Args))}` on {platform} exited {exit} printing '{Clip(output.Trim())}'; expected '{expected}'");
            else
                context.Success($"{binary} {string.Join(" ", probe.Args)} on {platform}{(toolchain.Emulator is { } e ? $" (under {Path.GetFileName(e[0])})" : "")}: {Clip(output.Trim())}");
        }
        return Outcome(toolchain.Emulator is { } emulator ? $"run under {Path.GetFileName(emulator[0])}" : "run natively");
    }

    /// <summary>
    /// Runs each linux binary this host can run natively in a root holding only it and what its
    /// DT_NEEDED entries name (<see cref="IsolatedRun"/>): a program that shells out, dlopens an
    /// undeclared library or reads a file under /usr fails here with what it printed. One line
    /// per platform says what ran and with which libraries.
    /// </summary>
    private static List<string> RunIsolated(BuildContext context, string releaseDir, ReleaseManifest manifest, string scratch)
    {
        var problems = new List<string>();
        var outcome = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var unshare = context.ToolLookup.Find("unshare");
        if (OperatingSystem.IsWindows())
            return problems;
        foreach (var package in manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind && p.Platform!.StartsWith("linux-", StringComparison.Ordinal)))
        {
            var platform = PlatformId.Parse(package.Platform!);
            var declared = context.Graph.Contains(package.Component) ? context.Graph[package.Component] : null;
            var probe = declared?.Verify ?? VerifyProbe.Default;
            if (declared is null || !probe.Enabled)
                continue;
            if (!context.Toolchains.Resolve(platform, context.Settings.GlibcFloor).RunsNatively(context.Host))
            {
                outcome[platform.ToString()] = "not run: an emulator outside the root would be a dependency of its own";
                continue;
            }
            if (unshare is null)
            {
                outcome[platform.ToString()] = "not run: unshare is missing (Debian: util-linux)";
                continue;
            }
            if (MuslLibraries.Missing(platform, context.Builders.For(declared).SystemLibraries(platform)) is { } missing)
            {
                outcome[platform.ToString()] = $"not run: {missing}";
                continue;
            }
            var dir = Path.Combine(scratch, "isolated-" + NpmNames.Flat(package.Name));
            SafeArchive.Extract(Path.Combine(releaseDir, package.Tarball), Path.GetFileName(package.Tarball), dir, 1);
            foreach (var binary in declared.Binaries)
            {
                var file = Path.Combine(dir, "bin", binary);
                var inner = context.Builders.For(declared).InnerPrograms(file, Path.Combine(dir, "inner"));
                var run = IsolatedRun.Run(unshare, file, probe.Args, IsolatedRun.LibraryFolders(platform), inner);
                if (run.Unavailable is { } why)
                {
                    outcome[platform.ToString()] = $"not run: unshare cannot make a root here ({Clip(why)})";
                    break;
                }
                var libraries = run.Root.Skip(1).Select(Path.GetFileName).Distinct().ToList();
                var expected = probe.Expected(binary, package.Version);
                if (run.ExitCode != 0 || !run.Output.Contains(expected, StringComparison.Ordinal))
                    problems.Add($"{package.Tarball}: `{string.Join(" ", new[] { binary }.Concat(probe.Args))}` fails in a root holding only it and its " +
                        $"DT_NEEDED libraries ({(libraries.Count > 0 ? string.Join(", ", libraries) : "none: static")}): exited {run.ExitCode} printing " +
                        $"'{Clip(run.Output)}'; expected '{expected}'. It depends on something users' machines may not have (a shell, a tool on PATH, " +
                        "a library it opens at run time): link it in, or declare and check for it");
                var line = $"{binary} ({(libraries.Count == 0 ? "static, alone" : string.Join(", ", libraries))})";
                outcome[platform.ToString()] = outcome.TryGetValue(platform.ToString(), out var before) ? before + ", " + line : line;
            }
        }
        if (outcome.Count > 0)
            context.Info("isolated root: " + string.Join("; ", outcome.Select(o => $"{o.Key} {o.Value}")));
        return problems;
    }

    /// <summary>
    /// Why a compressed binary cannot run under qemu-user here, or null: its stub execs the program
    /// it extracted, and the kernel hands a foreign ELF to qemu only through a binfmt_misc entry.
    /// </summary>
    private static string? NeedsBinfmt(Toolchain toolchain, string file)
    {
        var emulator = toolchain.Emulator is { } e ? Path.GetFileName(e[0]) : null;
        if (emulator is null || !emulator.StartsWith("qemu-", StringComparison.Ordinal)
            || File.Exists("/proc/sys/fs/binfmt_misc/" + emulator) || !PressTrailer.HasMagic(file))
            return null;
        return $"{Path.GetFileName(file)} is compressed, and its stub's exec needs {emulator} registered with binfmt_misc (Debian: qemu-user-binfmt)";
    }

    /// <summary>Installs each wrapper with this host's platform tarball and runs every binary with its version probe.</summary>
    private static List<string> RunHostBinaries(BuildContext context, string releaseDir, ReleaseManifest manifest)
    {
        var problems = new List<string>();
        foreach (var target in InstallRunCheck.Targets(context, manifest, "its binary"))
        {
            problems.AddRange(InstallRunCheck.Run(context, [target],
                [Path.Combine(releaseDir, target.Wrapper.Tarball), Path.Combine(releaseDir, target.HostPackage.Tarball)],
                new InstallRunCheck.Source(NoRegistry, null, 0, target.HostPackage.Tarball),
                (t, binary, output) => $"{string.Join(" ", new[] { binary }.Concat(t.Probe.Args))} via {t.Wrapper.Name}: {Clip(output)}"));
        }
        return problems;
    }
}

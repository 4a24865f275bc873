using System.Reflection;
using System.Text;
using System.Text.Json;
using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Model;
using Btm.Core.Platforms;

namespace Btm.Build.Release;

/// <summary>
/// Lays out the folders npm packs (the path contract of docs/npm-packages.md): a platform package
/// per unit with bin/&lt;binary&gt; (and debug/bin/&lt;binary&gt;), and a wrapper per component.
/// </summary>
public static class PackageStager
{
    /// <returns>The glibc its binaries need at least (linux glibc), else null.</returns>
    public static string? StagePlatform(BuildContext context, BuildUnit unit, string dir)
    {
        var settings = context.Settings;
        var package = unit.Package;
        var name = NpmNames.Platform(settings, package, unit.Platform);
        var libc = unit.Platform.Libc is null ? "" : $" ({unit.Platform.Libc})";
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        BinaryCollector.CopyBetweenStages(unit, unit.Layout.ShippedDir, Path.Combine(dir, "bin"));
        CheckLibc(unit, Path.Combine(dir, "bin"));
        var glibc = CheckGlibcFloor(context, unit, Path.Combine(dir, "bin"));
        CheckExecutable(unit, Path.Combine(dir, "bin"));
        var files = new List<string> { "bin/" };
        // Extra shipped files (install, files, the legal files) sit at their package paths; npm
        // always packs LICENSE/NOTICE at the root, the rest must be listed.
        var extras = Path.Combine(unit.OutputDir(CheckpointStage.Compiled), UnitOutputs.FilesFolder);
        if (!Directory.Exists(extras) || !Directory.EnumerateFiles(extras).Any(f => UnitOutputs.IsLegal(Path.GetFileName(f))))
            throw new Btm.Core.BuildFailedException($"{unit}: no licence text ships (no LICENSE, COPYING or NOTICE in its compiled output), " +
                $"so its license field ({package.License ?? settings.License}) would be a claim without a text. Fix: add a LICENSE file to the package folder, then run with --force");
        var license = Licensing.Expression(settings, unit);
        if (Directory.Exists(extras))
        {
            UnitOutputs.PlaceExtras(unit, dir);
            files.AddRange(Directory.EnumerateFileSystemEntries(extras).Select(e => Directory.Exists(e) ? Path.GetFileName(e) + "/" : Path.GetFileName(e))
                .Where(e => e != "bin/").Order(StringComparer.Ordinal));
        }
        if (package.DebugBinaries)
        {
            BinaryCollector.CopyBetweenStages(unit, unit.OutputDir(CheckpointStage.Compiled), Path.Combine(dir, "debug", "bin"));
            files.Add("debug/");
        }
        PackageJsonWriter.Write(Path.Combine(dir, "package.json"), w =>
        {
            PackageJsonWriter.Common(w, settings, package, name, $"{package.Name} for {unit.Platform}{libc}; installed by {NpmNames.Wrapper(settings, package)}.", license);
            PackageJsonWriter.Array(w, "os", [unit.Platform.Os]);
            PackageJsonWriter.Array(w, "cpu", [unit.Platform.Cpu]);
            if (unit.Platform.Libc is { } l)
                PackageJsonWriter.Array(w, "libc", [l]);
            PackageJsonWriter.Array(w, "files", files);
            // Yarn PnP must unpack it: the binary is executed from disk.
            w.WriteBoolean("preferUnplugged", true);
            if (glibc is not null)
            {
                w.WriteStartObject("btm");
                w.WriteString("glibc", glibc);
                w.WriteEndObject();
            }
        });
        WriteText(Path.Combine(dir, "README.md"),
            $"# {name}\n\nThe `{unit.Platform}` binaries of [`{NpmNames.Wrapper(settings, package)}`](https://www.npmjs.com/package/{NpmNames.Wrapper(settings, package)}). " +
            $"Install that package instead; npm picks this one on {unit.Platform}{libc}.\n" +
            (glibc is null ? "" : $"\nRuns on Linux with glibc {glibc} or newer.\n"));
        return glibc;
    }

    /// <summary>
    /// A linux package must hold binaries for its libc: npm installs a -musl package only on musl
    /// systems, where a glibc binary fails with "not found" (its loader is missing).
    /// </summary>
    private static void CheckLibc(BuildUnit unit, string binDir)
    {
        if (unit.Platform.Os != "linux")
            return;
        foreach (var file in Directory.EnumerateFiles(binDir, "*", SearchOption.AllDirectories))
        {
            bool isElf;
            string? interpreter;
            try
            {
                (isElf, interpreter) = ElfInterpreter.Read(file);
            }
            catch (InvalidDataException e)
            {
                throw new Btm.Core.BuildFailedException($"{unit}: {e.Message}");
            }
            var libc = ElfInterpreter.Classify(interpreter, isElf);
            var wrong = unit.Platform.Musl ? libc is ElfInterpreter.Libc.Glibc or ElfInterpreter.Libc.Other : libc == ElfInterpreter.Libc.Musl;
            if (!wrong)
                continue;
            throw new Btm.Core.BuildFailedException(
                $"{unit}: {Path.GetFileName(file)} needs the loader {interpreter}, which {unit.Platform} systems do not have, so it would not run where npm installs it. " +
                $"Fix: build it with the {unit.Platform} toolchain ({unit.Toolchain.CCompiler}; a makefile must use $(CC)), or link it statically");
        }
    }

    /// <summary>
    /// The glibc a linux glibc package runs on (its floor, or with the floor off the newest GLIBC_
    /// version its binaries need); refuses a binary needing a newer GLIBC_ symbol than the floor,
    /// naming the symbol. A compressed binary's program is checked too, not only its stub.
    /// </summary>
    private static string? CheckGlibcFloor(BuildContext context, BuildUnit unit, string binDir)
    {
        if (unit.Platform.Os != "linux" || unit.Platform.Musl)
            return null;
        var floor = context.GlibcFloor(unit.Package, unit.Builder);
        var files = Directory.EnumerateFiles(binDir, "*", SearchOption.AllDirectories).ToList();
        if (unit.Compresses && Directory.Exists(unit.OutputDir(CheckpointStage.Stripped)))
            files.AddRange(Directory.EnumerateFiles(unit.OutputDir(CheckpointStage.Stripped)));
        Version? newest = null;
        foreach (var file in files)
        {
            IReadOnlyList<GlibcSymbolVersions.Need> needs;
            try
            {
                needs = GlibcSymbolVersions.Read(file);
            }
            catch (InvalidDataException e)
            {
                throw new Btm.Core.BuildFailedException($"{unit}: {e.Message}");
            }
            if (needs.Count == 0)
                continue;
            var top = needs[^1];
            if (newest is null || top.Number > newest)
                newest = top.Number;
            if (floor != GlibcFloor.Host && top.Number > Version.Parse(floor))
                throw new Btm.Core.BuildFailedException(
                    $"{unit}: {Path.GetFileName(file)} needs {top.Version} (symbol {top.Symbol}), newer than its glibc floor {floor}, so it fails on older " +
                    $"distributions that npm installs it on (built by {unit.Toolchain.Id}). Fix: build with the zig toolchain (the default for a floor: " +
                    $"remove the cake.config Toolchains= entry for {unit.Platform}), or raise the floor (btm.json \"glibc\": \"{top.Version["GLIBC_".Length..]}\", cake.config GlibcFloor=)");
        }
        return floor != GlibcFloor.Host ? floor : newest is null ? null : $"{newest.Major}.{newest.Minor}";
    }

    /// <summary>A binary npm unpacks without its exec bits cannot be run by the wrapper: refuse to pack it.</summary>
    private static void CheckExecutable(BuildUnit unit, string binDir)
    {
        if (OperatingSystem.IsWindows() || unit.Platform.Os == "win32")
            return;
        foreach (var binary in unit.Package.Binaries)
        {
            var file = Path.Combine(binDir, unit.BinaryFileName(binary));
            if (File.Exists(file) && (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) == 0)
                throw new Btm.Core.BuildFailedException($"{unit}: {unit.BinaryFileName(binary)} is not executable (mode {Convert.ToString((int)File.GetUnixFileMode(file), 8)}) after {unit.ShippedStage.Id}; " +
                    $"the toolchain's strip ({unit.Toolchain.Strip}) must keep the mode. Fix the toolchain, then run with --force");
        }
    }

    /// <param name="legalFrom">A folder whose LICENSE/COPYING/NOTICE files the wrapper ships too (a unit's files, or a leg's wrapper).</param>
    public static void StageWrapper(BuildContext context, PackageManifest package, IReadOnlyList<PlatformId> platforms, string dir, string legalFrom)
    {
        Directory.CreateDirectory(dir);
        var extras = legalFrom;
        if (Directory.Exists(extras))
        {
            foreach (var legal in Directory.EnumerateFiles(extras).Where(f => UnitOutputs.IsLegal(Path.GetFileName(f))))
                File.Copy(legal, Path.Combine(dir, Path.GetFileName(legal)), overwrite: true);
        }
        var settings = context.Settings;
        var name = NpmNames.Wrapper(settings, package);
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        foreach (var binary in package.Binaries)
        {
            var launcher = Path.Combine(dir, "bin", binary);
            WriteText(launcher, $"#!/usr/bin/env node\n'use strict';\nrequire('../lib/run.js').run({JsonSerializer.Serialize(binary)});\n");
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(launcher, (UnixFileMode)0x1ED);
        }
        using (var run = Assembly.GetExecutingAssembly().GetManifestResourceStream("Btm.Build.Release.Wrapper.run.js")!)
        using (var file = File.Create(Path.Combine(dir, "lib", "run.js")))
            run.CopyTo(file);
        PackageJsonWriter.Write(Path.Combine(dir, "lib", "platforms.json"), w =>
        {
            w.WriteString("wrapper", name);
            w.WriteString("version", package.VersionOr(settings.Version));
            w.WriteStartObject("packages");
            foreach (var platform in platforms.OrderBy(p => p.ToString(), StringComparer.Ordinal))
                w.WriteString(platform.ToString(), NpmNames.Platform(settings, package, platform));
            w.WriteEndObject();
        });
        PackageJsonWriter.Write(Path.Combine(dir, "package.json"), w =>
        {
            PackageJsonWriter.Common(w, settings, package, name, package.Description);
            w.WriteStartObject("bin");
            foreach (var binary in package.Binaries)
                w.WriteString(binary, $"bin/{binary}");
            w.WriteEndObject();
            PackageJsonWriter.Array(w, "files", ["bin/", "lib/"]);
            w.WriteStartObject("engines");
            w.WriteString("node", ">=16");
            w.WriteEndObject();
            // Exactly what this release built; npm installs the one matching os/cpu/libc.
            w.WriteStartObject("optionalDependencies");
            foreach (var platform in platforms.OrderBy(p => p.ToString(), StringComparer.Ordinal))
                w.WriteString(NpmNames.Platform(settings, package, platform), package.VersionOr(settings.Version));
            w.WriteEndObject();
            // What the launcher runs on, readable by tools before installing (os/cpu alone cannot say "not musl").
            w.WriteStartObject("btm");
            PackageJsonWriter.Array(w, "platforms", platforms.Select(p => p.ToString()).Order(StringComparer.Ordinal));
            w.WriteEndObject();
        });
        var platformList = string.Join(", ", platforms.Select(p => $"`{p}`"));
        var notBuilt = PlatformId.ReleaseTargets.Where(t => !platforms.Contains(t)).Select(t => $"`{t}`").ToList();
        WriteText(Path.Combine(dir, "README.md"),
            $"# {name}\n\n{package.Description}\n\n```sh\nnpm install {name}\nnpx {package.Binaries[0]} --help\n```\n\n" +
            $"Prebuilt for {platformList}." +
            (notBuilt.Count == 0 ? "" : $" **Not built for {string.Join(", ", notBuilt)}**: installing there succeeds, and the command says it is not built for that platform.") +
            "\n\nThe client installs the matching `" + name + "-<platform>` package as an optional dependency: npm, yarn 4 and bun install only that one; " +
            "pnpm 9 and yarn 1 may also install the musl package on a glibc machine, and the command still runs the right binary. " +
            "Installing with optional dependencies left out (`--omit=optional`, `--no-optional`, `--ignore-optional`) leaves the binary out, and the command then says how to reinstall.\n");
    }

    private static void WriteText(string path, string text) => AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));
}

using System.Runtime.InteropServices;
using Btm.Core.Platforms;

namespace Btm.Core.Tests;

public class PlatformIdTests
{
    [TestCase("linux-x64", "linux", "x64", false, "glibc")]
    [TestCase("linux-arm64-musl", "linux", "arm64", true, "musl")]
    [TestCase("darwin-arm64", "darwin", "arm64", false, null)]
    [TestCase("win32-x64", "win32", "x64", false, null)]
    public void Parses_known_ids(string text, string os, string cpu, bool musl, string? libc)
    {
        var id = PlatformId.Parse(text);
        Assert.That(id, Is.EqualTo(new PlatformId(os, cpu, musl)));
        Assert.That(id.Libc, Is.EqualTo(libc));
        Assert.That(id.ToString(), Is.EqualTo(text));
    }

    [Test]
    public void Every_listed_id_round_trips()
    {
        Assert.That(PlatformId.All, Has.Count.EqualTo(8));
        foreach (var id in PlatformId.All)
            Assert.That(PlatformId.Parse(id.ToString()), Is.EqualTo(id));
    }

    [TestCase("linux-x86", "unknown cpu 'x86'")]
    [TestCase("macos-arm64", "unknown os 'macos'")]
    [TestCase("darwin-arm64-musl", "only linux ids take the suffix -musl")]
    [TestCase("linux-x64-gnu", "only linux ids take the suffix -musl")]
    [TestCase("linux", "not of the form")]
    [TestCase("", "empty")]
    [TestCase("Linux-X64", "unknown os 'Linux'")]
    public void Rejects_bad_ids_with_a_reason(string text, string reason)
    {
        Assert.That(PlatformId.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void Win32_binaries_get_exe()
    {
        Assert.That(PlatformId.Parse("win32-arm64").ExecutableSuffix, Is.EqualTo(".exe"));
        Assert.That(PlatformId.Parse("linux-x64").ExecutableSuffix, Is.EqualTo(""));
    }

    [Test]
    public void Musl_is_detected_from_the_loader()
    {
        using var root = new TempDir();
        root.Write("lib/ld-musl-x86_64.so.1", "");
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, root.Path), Is.EqualTo(PlatformId.Parse("linux-x64-musl")));
    }

    [Test]
    public void Musl_is_detected_from_alpine_ldd()
    {
        using var root = new TempDir();
        root.Write("usr/bin/ldd", "#!/bin/sh\nexec /lib/ld-musl-aarch64.so.1 --list \"$@\"\n");
        Assert.That(HostPlatform.Detect("linux", Architecture.Arm64, root.Path), Is.EqualTo(PlatformId.Parse("linux-arm64-musl")));
    }

    [Test]
    public void Glibc_ldd_and_musl_tools_under_usr_lib_are_not_musl()
    {
        using var root = new TempDir();
        root.Write("usr/bin/ldd", "#!/bin/bash\n# This file is part of the GNU C Library.\nTEXTDOMAIN=libc\n");
        root.Write("usr/lib/musl/lib/ld-musl-x86_64.so.1", "");
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, root.Path), Is.EqualTo(PlatformId.Parse("linux-x64")));
    }

    [Test]
    public void The_musl_loader_beside_the_glibc_loader_is_musl_tools_on_a_glibc_host()
    {
        using var root = new TempDir();
        root.Write("lib/ld-musl-x86_64.so.1", "");
        root.Write("lib64/ld-linux-x86-64.so.2", "");
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, root.Path), Is.EqualTo(PlatformId.Parse("linux-x64")));
    }

    [Test]
    public void The_running_process_loader_decides_over_files_lying_around()
    {
        using var glibcProcess = new TempDir();
        glibcProcess.Write("lib/ld-musl-x86_64.so.1", "");
        glibcProcess.WriteBytes("proc/self/exe", TestElf.Bytes(TestElf.X64, "/lib64/ld-linux-x86-64.so.2"));
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, glibcProcess.Path), Is.EqualTo(PlatformId.Parse("linux-x64")),
            "a planted musl loader does not make a glibc process musl");

        using var muslProcess = new TempDir();
        muslProcess.Write("lib64/ld-linux-x86-64.so.2", "");
        muslProcess.WriteBytes("proc/self/exe", TestElf.Bytes(TestElf.X64, "/lib/ld-musl-x86_64.so.1"));
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, muslProcess.Path), Is.EqualTo(PlatformId.Parse("linux-x64-musl")));

        using var staticProcess = new TempDir();
        staticProcess.Write("lib/ld-musl-x86_64.so.1", "");
        staticProcess.WriteBytes("proc/self/exe", TestElf.Bytes(TestElf.X64, null));
        Assert.That(HostPlatform.Detect("linux", Architecture.X64, staticProcess.Path), Is.EqualTo(PlatformId.Parse("linux-x64-musl")),
            "a static process falls back to the file system");
    }

    [Test]
    public void The_interpreter_of_a_real_binary_is_read()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("reads an ELF binary of this host");
        var (isElf, interpreter) = ElfInterpreter.Read("/proc/self/exe");
        Assert.That(isElf, Is.True);
        var expected = HostPlatform.Detect().Musl ? ElfInterpreter.Libc.Musl : ElfInterpreter.Libc.Glibc;
        Assert.That(ElfInterpreter.Classify(interpreter, isElf), Is.EqualTo(expected), interpreter);
        Assert.That(ElfInterpreter.Read(new MemoryStream("#!/bin/sh\n"u8.ToArray())).IsElf, Is.False);
    }

    [Test]
    public void Darwin_and_windows_never_carry_musl()
    {
        using var root = new TempDir();
        root.Write("lib/ld-musl-x86_64.so.1", "");
        Assert.That(HostPlatform.Detect("darwin", Architecture.Arm64, root.Path).Musl, Is.False);
    }

    [Test]
    public void Unsupported_cpu_is_refused()
    {
        Assert.Throws<PlatformNotSupportedException>(() => HostPlatform.Detect("linux", Architecture.X86, "/"));
    }

    [Test]
    public void This_host_is_detected_as_the_runtime_sees_it()
    {
        var host = HostPlatform.Detect();
        Assert.That(host.Cpu, Is.EqualTo(RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64"));
        Assert.That(host.Musl, Is.EqualTo(RuntimeInformation.RuntimeIdentifier.Contains("musl")));
        if (OperatingSystem.IsLinux())
            Assert.That(host.Os, Is.EqualTo("linux"));
    }

    [Test]
    public void Only_same_os_cpu_and_libc_can_run()
    {
        var host = PlatformId.Parse("linux-x64");
        Assert.That(HostPlatform.CanRun(host, PlatformId.Parse("linux-x64")), Is.True);
        Assert.That(HostPlatform.CanRun(host, PlatformId.Parse("linux-x64-musl")), Is.False);
        Assert.That(HostPlatform.CanRun(host, PlatformId.Parse("linux-arm64")), Is.False);
    }
}

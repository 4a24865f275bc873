using System.Text;
using Btm.Cake.Installers;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// The Windows installer, compiled by makensis (x64 stub) from a script BTM writes: installs for the
/// user (%LOCALAPPDATA%\Programs\&lt;name&gt;, HKCU) or, with /ALLUSERS, for the machine (Program Files,
/// HKLM); programs in &lt;dir&gt;\bin, which goes on PATH; no Start-menu entries (a command-line tool);
/// an uninstaller registered under Uninstall that removes exactly what was installed and the PATH
/// entry; /S for silent; installing over an older version replaces its programs.
/// </summary>
public sealed class NsisInstaller : IUnitInstaller
{
    public string Format => Btm.Core.Model.InstallerOptions.Nsis;

    public bool AppliesTo(PlatformId platform) => platform.Os == "win32" && platform.Cpu == "x64";

    public (string Command, string DebianPackage)? Tool => ("makensis", "nsis");

    public ManifestInstaller Make(InstallerJob job)
    {
        var file = job.FileName("-setup.exe");
        var work = Directory.CreateTempSubdirectory("btm-nsis-").FullName;
        try
        {
            var script = Path.Combine(work, "installer.nsi");
            File.WriteAllText(script, Script(job, Path.Combine(work, file)), new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            job.Context.MakeNsis(new MakeNsisSettings
            {
                Script = script,
                // makensis stamps the PE header with the current time unless told the release's.
                EnvironmentVariables = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = job.Time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
            job.Signer?.Sign(Path.Combine(work, file), $"{job.Package.Name} {job.Version} installer", job.Options.Homepage);
            File.Move(Path.Combine(work, file), Path.Combine(job.OutDir, file));
            return job.Entry(Format, file);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The installer's registry key under Software\Microsoft\Windows\CurrentVersion\Uninstall.</summary>
    public static string UninstallKey(string name) => $@"Software\Microsoft\Windows\CurrentVersion\Uninstall\btm-{name}";

    private static string Script(InstallerJob job, string output)
    {
        var name = job.Package.Name;
        var publisher = job.Options.Maintainer[..job.Options.Maintainer.IndexOf(" <", StringComparison.Ordinal)];
        var files = ArchiveLayout.Entries(job).Select(e => (Target: (e.Executable ? @"bin\" : "") + e.Path.Replace('/', '\\'), e.Source)).ToList();
        var key = UninstallKey(name);
        var s = new StringBuilder();
        void L(string line = "") => s.Append(line).Append('\n');
        L("Unicode true");
        L("Target amd64-unicode");
        L("SetCompressor /SOLID lzma");
        L("!include \"LogicLib.nsh\"");
        L("!include \"FileFunc.nsh\"");
        L("!include \"WinMessages.nsh\"");
        L("!include \"StrFunc.nsh\"");
        L("${StrStr}");
        L("${UnStrRep}");
        L($"Name {Q($"{name} {job.Version}")}");
        L($"OutFile {Lit(output)}");
        L("RequestExecutionLevel user");
        L($"InstallDir {Q($@"$LOCALAPPDATA\Programs\{name}")}");
        L("ShowInstDetails nevershow");
        L("ShowUninstDetails nevershow");
        L("SilentUnInstall normal");
        L($"VIProductVersion {Q(NumericVersion(job.Version))}");
        L($"VIAddVersionKey /LANG=0 ProductName {Lit(name)}");
        L($"VIAddVersionKey /LANG=0 ProductVersion {Lit(job.Version)}");
        L($"VIAddVersionKey /LANG=0 FileVersion {Lit(job.Version)}");
        L($"VIAddVersionKey /LANG=0 FileDescription {Q($"{name} installer")}");
        L($"VIAddVersionKey /LANG=0 CompanyName {Lit(publisher)}");
        L($"VIAddVersionKey /LANG=0 LegalCopyright {Lit(job.License)}");
        L("Page directory");
        L("Page instfiles");
        L("UninstPage instfiles");
        L("Var MachineWide");
        L();
        // The environment key PATH lives in: the user's, or the machine's for /ALLUSERS.
        const string machineEnv = "HKLM \"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\" \"Path\"";
        const string userEnv = "HKCU \"Environment\" \"Path\"";
        L("!macro ReadEnvPath Var");
        L("  ${If} $MachineWide == 1");
        L($"    ReadRegStr ${{Var}} {machineEnv}");
        L("  ${Else}");
        L($"    ReadRegStr ${{Var}} {userEnv}");
        L("  ${EndIf}");
        L("!macroend");
        L("!macro WriteEnvPath Var");
        L("  ${If} $MachineWide == 1");
        L($"    WriteRegExpandStr {machineEnv} ${{Var}}");
        L("  ${Else}");
        L($"    WriteRegExpandStr {userEnv} ${{Var}}");
        L("  ${EndIf}");
        L("!macroend");
        L();
        L("Function .onInit");
        L("  SetRegView 64");
        L("  StrCpy $MachineWide 0");
        L("  ${GetParameters} $R0");
        L("  ClearErrors");
        L("  ${GetOptions} $R0 \"/ALLUSERS\" $R1");
        L("  ${IfNot} ${Errors}");
        L("    StrCpy $MachineWide 1");
        L("    SetShellVarContext all");
        L($"    StrCpy $INSTDIR {Q($@"$PROGRAMFILES64\{name}")}");
        L("  ${EndIf}");
        // An earlier install (either scope) decides where an upgrade goes.
        L($"  ReadRegStr $R2 SHCTX {Q(key)} \"InstallLocation\"");
        L("  ${If} $R2 != \"\"");
        L("    StrCpy $INSTDIR $R2");
        L("  ${EndIf}");
        L("FunctionEnd");
        L();
        L("Section \"Install\"");
        L("  SetOverwrite on");
        // File times would come from this machine's staging folder: the installed files get the install time instead.
        L("  SetDateSave off");
        L("  RMDir /r \"$INSTDIR\\bin\"");
        foreach (var dir in files.Select(f => Path.GetDirectoryName(f.Target.Replace('\\', '/'))!.Replace('/', '\\')).Distinct().Order(StringComparer.Ordinal))
        {
            L($"  SetOutPath {Q(dir.Length == 0 ? "$INSTDIR" : $@"$INSTDIR\{dir}")}");
            foreach (var f in files.Where(f => Path.GetDirectoryName(f.Target.Replace('\\', '/'))!.Replace('/', '\\') == dir))
                L($"  File {Lit(f.Source)}");
        }
        L("  SetOutPath \"$INSTDIR\"");
        L("  WriteUninstaller \"$INSTDIR\\uninstall.exe\"");
        L("  !insertmacro ReadEnvPath $R0");
        L("  ${StrStr} $R1 \";$R0;\" \";$INSTDIR\\bin;\"");
        L("  ${If} $R1 == \"\"");
        L("    ${If} $R0 == \"\"");
        L("      StrCpy $R0 \"$INSTDIR\\bin\"");
        L("    ${Else}");
        L("      StrCpy $R0 \"$R0;$INSTDIR\\bin\"");
        L("    ${EndIf}");
        L("    !insertmacro WriteEnvPath $R0");
        L("    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 \"STR:Environment\" /TIMEOUT=5000");
        L("  ${EndIf}");
        L($"  WriteRegStr SHCTX {Q(key)} \"DisplayName\" {Lit(name)}");
        L($"  WriteRegStr SHCTX {Q(key)} \"DisplayVersion\" {Lit(job.Version)}");
        L($"  WriteRegStr SHCTX {Q(key)} \"Publisher\" {Lit(publisher)}");
        if (job.Options.Homepage is { } homepage)
            L($"  WriteRegStr SHCTX {Q(key)} \"URLInfoAbout\" {Lit(homepage)}");
        L($"  WriteRegStr SHCTX {Q(key)} \"InstallLocation\" \"$INSTDIR\"");
        L($"  WriteRegStr SHCTX {Q(key)} \"UninstallString\" '\"$INSTDIR\\uninstall.exe\"'");
        L($"  WriteRegStr SHCTX {Q(key)} \"QuietUninstallString\" '\"$INSTDIR\\uninstall.exe\" /S'");
        L($"  WriteRegDWORD SHCTX {Q(key)} \"NoModify\" 1");
        L($"  WriteRegDWORD SHCTX {Q(key)} \"NoRepair\" 1");
        L("  ${GetSize} \"$INSTDIR\" \"/S=0K\" $R0 $R1 $R2");
        L($"  WriteRegDWORD SHCTX {Q(key)} \"EstimatedSize\" $R0");
        L("SectionEnd");
        L();
        L("Function un.onInit");
        L("  SetRegView 64");
        L("  StrCpy $MachineWide 0");
        L($"  ReadRegStr $R0 HKLM {Q(key)} \"InstallLocation\"");
        L("  ${If} $R0 == $INSTDIR");
        L("    StrCpy $MachineWide 1");
        L("    SetShellVarContext all");
        L("  ${EndIf}");
        L("FunctionEnd");
        L();
        L("Section \"Uninstall\"");
        L("  !insertmacro ReadEnvPath $R0");
        L("  ${UnStrRep} $R0 \";$R0;\" \";$INSTDIR\\bin;\" \";\"");
        L("  StrCpy $R0 $R0 -1 1");
        L("  ${If} $R0 == \"\"");
        L("    ${If} $MachineWide == 1");
        L($"      DeleteRegValue {machineEnv}");
        L("    ${Else}");
        L($"      DeleteRegValue {userEnv}");
        L("    ${EndIf}");
        L("  ${Else}");
        L("    !insertmacro WriteEnvPath $R0");
        L("  ${EndIf}");
        L("  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 \"STR:Environment\" /TIMEOUT=5000");
        foreach (var f in files)
            L($"  Delete {Q($@"$INSTDIR\{f.Target}")}");
        L("  Delete \"$INSTDIR\\uninstall.exe\"");
        foreach (var dir in files.Select(f => Path.GetDirectoryName(f.Target.Replace('\\', '/'))!).Where(d => d.Length > 0)
                     .SelectMany(Ancestors).Distinct().OrderByDescending(d => d.Length))
            L($"  RMDir {Q($@"$INSTDIR\{dir.Replace('/', '\\')}")}");
        L("  RMDir \"$INSTDIR\"");
        L($"  DeleteRegKey SHCTX {Q(key)}");
        L("SectionEnd");
        return s.ToString();
    }

    private static IEnumerable<string> Ancestors(string dir)
    {
        for (var d = dir; d.Length > 0; d = Path.GetDirectoryName(d) ?? "")
            yield return d;
    }

    /// <summary>VIProductVersion wants four numbers.</summary>
    private static string NumericVersion(string semver)
    {
        var parts = semver.Split('-', '+')[0].Split('.');
        return string.Join('.', parts.Concat(Enumerable.Repeat("0", 4)).Take(4));
    }

    /// <summary>An NSIS string that may use NSIS variables ($INSTDIR): double quotes, $\" for a quote.</summary>
    private static string Q(string value) => "\"" + value.Replace("\"", "$\\\"") + "\"";

    /// <summary>A value from btm.json or a path, taken literally: $ is $$.</summary>
    private static string Lit(string value) => Q(value.Replace("$", "$$"));
}

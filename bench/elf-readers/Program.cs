// One process, one reader, one file: what Package asks of every shipped binary (ELF: its
// interpreter and dynamic symbols with their versions; PE: its machine), read once. Prints the
// wall milliseconds and the bytes allocated.
using System.Diagnostics;
using Btm.Core.Platforms;
using LibObjectFile.Elf;
using LibObjectFile.PE;

if (args.Length != 2 || args[0] is not ("btm" or "libobjectfile"))
{
    Console.Error.WriteLine("usage: elf-readers btm|libobjectfile <executable>");
    return 2;
}
var (reader, path) = (args[0], args[1]);
var magic = new byte[4];
using (var probe = File.OpenRead(path))
    probe.ReadExactly(magic);
var isElf = magic.AsSpan().SequenceEqual("\u007fELF"u8);
var watch = Stopwatch.StartNew();
string summary;
if (reader == "btm")
{
    var target = ExecutableTarget.Read(path);
    summary = isElf ? $"{target} {ElfInterpreter.Read(path).Interpreter} {GlibcSymbolVersions.Read(path).Count} GLIBC versions" : $"{target}";
}
else if (isElf)
{
    using var stream = File.OpenRead(path);
    var elf = ElfFile.Read(stream);
    var interp = elf.Segments.FirstOrDefault(s => s.Type == ElfSegmentTypeCore.Interpreter);
    var symbols = elf.Sections.OfType<ElfSymbolTable>().Sum(t => t.Entries.Count);
    // .gnu.version_r stays raw bytes in LibObjectFile: BTM's own parser would still read it.
    var verneed = elf.Sections.OfType<ElfStreamSection>().FirstOrDefault(s => s.Name.ToString() == ".gnu.version_r")?.Stream.Length ?? 0;
    summary = $"{elf.Arch} interp {(interp is null ? "none" : interp.Size + " bytes")} {symbols} symbols, verneed {verneed} bytes";
}
else
{
    using var stream = File.OpenRead(path);
    summary = $"PE {PEFile.Read(stream).CoffHeader.Machine}";
}
var elapsed = watch.Elapsed.TotalMilliseconds;
Console.WriteLine($"{elapsed:0.0} {GC.GetTotalAllocatedBytes()} {summary}");
return 0;

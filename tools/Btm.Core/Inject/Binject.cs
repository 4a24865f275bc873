using System.Text;
using Btm.Core.IO;
using Btm.Core.Platforms;

namespace Btm.Core.Inject;

/// <summary>
/// Puts named resources into an executable where Node's single-executable reader (postject's API)
/// finds them, and lists them again. Each object-file format is one <see cref="IExecutableFormat"/>
/// (docs/binject.md).
/// </summary>
public static class Binject
{
    public static IReadOnlyList<IExecutableFormat> Formats { get; } = [new ElfFormat(), new PeFormat(), new MachOFormat()];

    /// <summary>Node's fuse: the resource is only looked for once this reads <c>…:1</c>.</summary>
    public const string NodeSeaFuse = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

    public static IExecutableFormat FormatOf(byte[] image, string path) =>
        Formats.FirstOrDefault(f => f.Recognizes(image.AsSpan(0, Math.Min(image.Length, 16))))
        ?? throw new InjectException($"{path}: not an ELF, PE or Mach-O executable (it starts with {Convert.ToHexString(image.AsSpan(0, Math.Min(4, image.Length)))})");

    public static IReadOnlyList<ResourceInfo> List(string path, InjectOptions? options = null)
    {
        var image = File.ReadAllBytes(path);
        var format = FormatOf(image, path);
        return Reading(path, format, () => format.List(image, options ?? new InjectOptions()));
    }

    private static T Reading<T>(string path, IExecutableFormat format, Func<T> read) =>
        HeaderReader.Read(path, format.Name, read, message => new InjectException(message));

    /// <summary>Writes <paramref name="output"/> (atomically, executable) from <paramref name="input"/> with the resources in it.</summary>
    /// <returns>The format that was written.</returns>
    public static string Inject(string input, string output, IReadOnlyList<InjectedResource> resources, string? sentinelFuse, InjectOptions? options = null)
    {
        if (resources.Count == 0)
            throw new InjectException("nothing to inject: give at least one --resource NAME=FILE");
        foreach (var r in resources)
        {
            if (r.Name.Length == 0 || r.Name.Length > 255 || r.Name.Any(c => c is '\0' or '/' or '\\' || char.IsWhiteSpace(c)))
                throw new InjectException($"resource name '{r.Name}' must be 1-255 characters with no spaces, slashes or NUL");
            if (r.Data.Length == 0)
                throw new InjectException($"resource {r.Name} is empty: Node's reader skips empty resources, so it would never be found");
        }
        var duplicate = resources.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InjectException($"resource {duplicate.Key} is given twice");
        var image = File.ReadAllBytes(input);
        var format = FormatOf(image, input);
        // Before the format writes: the PE checksum and the Mach-O page hashes cover the fuse.
        if (sentinelFuse is not null)
            FlipFuse(image, sentinelFuse, input);
        var written = Reading(input, format, () => format.Inject(image, resources, options ?? new InjectOptions()));
        AtomicFile.WriteAllBytes(output, written);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(output, File.GetUnixFileMode(input) | UnixFileMode.UserExecute);
        return format.Name;
    }

    /// <summary>
    /// Turns <c>FUSE:0</c> into <c>FUSE:1</c>, as postject does. The fuse must be there exactly once;
    /// one already at <c>:1</c> is left so (injecting again).
    /// </summary>
    public static void FlipFuse(byte[] image, string fuse, string path)
    {
        var unset = Encoding.ASCII.GetBytes(fuse + ":0");
        var set = Encoding.ASCII.GetBytes(fuse + ":1");
        var at = image.AsSpan().IndexOf(unset);
        if (at < 0)
        {
            if (image.AsSpan().IndexOf(set) >= 0)
                return;
            throw new InjectException($"{path}: the sentinel fuse {fuse} is not in the binary: it is not built to look for injected resources (for a Node SEA, use a Node 20+ binary)");
        }
        if (image.AsSpan(at + 1).IndexOf(unset) >= 0)
            throw new InjectException($"{path}: the sentinel fuse {fuse} appears more than once; refusing to guess which one the program reads");
        image[at + unset.Length - 1] = (byte)'1';
    }
}

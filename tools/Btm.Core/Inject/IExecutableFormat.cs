namespace Btm.Core.Inject;

/// <summary>One object-file format's knowledge: how to recognise it, list its resources, and write them in.</summary>
public interface IExecutableFormat
{
    /// <summary>"ELF", "PE", "Mach-O": for messages.</summary>
    string Name { get; }

    bool Recognizes(ReadOnlySpan<byte> head);

    /// <summary>The resources in <paramref name="image"/> this format's reader would find.</summary>
    IReadOnlyList<ResourceInfo> List(byte[] image, InjectOptions options);

    /// <summary>
    /// The image with <paramref name="resources"/> in it. A resource whose name is already there
    /// replaces it; the others already there stay.
    /// </summary>
    byte[] Inject(byte[] image, IReadOnlyList<InjectedResource> resources, InjectOptions options);
}

/// <param name="MachOSegment">The Mach-O segment resources go into (postject's default __POSTJECT).</param>
public sealed record InjectOptions(string MachOSegment = "__POSTJECT");

namespace Btm.Core.Release;

/// <summary>A file inside an npm tarball: path as stored (package/...), size, permission bits, SHA-256.</summary>
public sealed record TarballEntry(string Path, long Size, int Mode, string Sha256);

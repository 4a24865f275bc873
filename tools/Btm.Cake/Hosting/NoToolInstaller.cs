using Cake.Core.IO;
using Cake.Core.Packaging;
using Cake.Core.Tooling;

namespace Btm.Cake.Hosting;

/// <summary>
/// BTM never downloads tools at build time: CheckTools names what is missing and how to install
/// it, so a build never depends on what a tool feed happens to serve that day.
/// </summary>
public sealed class NoToolInstaller : IToolInstaller
{
    public IEnumerable<FilePath> Install(PackageReference tool) =>
        throw new NotSupportedException($"BTM does not install tools at build time ({tool.OriginalString}); see CheckTools");
}

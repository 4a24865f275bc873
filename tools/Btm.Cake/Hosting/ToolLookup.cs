using System.Collections.Concurrent;
using Cake.Core.Tooling;

namespace Btm.Cake.Hosting;

/// <summary>
/// Finds programs through Cake's tool locator (registered tools, the tools folder, PATH with
/// PATHEXT), remembering each answer for the run: CheckTools, the identity probe and the stages
/// ask for the same compilers many times.
/// </summary>
public sealed class ToolLookup(IToolLocator locator)
{
    private readonly ConcurrentDictionary<string, string?> _found = new(StringComparer.Ordinal);

    /// <summary>The full path of <paramref name="command"/>, or null when it is not installed.</summary>
    /// <summary>Drops what was looked up, after installing tools.</summary>
    public void Forget() => _found.Clear();

    public string? Find(string command) => _found.GetOrAdd(command, c =>
        Path.IsPathRooted(c) ? (File.Exists(c) ? c : null) : locator.Resolve(c)?.FullPath);
}

namespace Btm.Build.Pipeline;

/// <summary>
/// Compiler flags that keep absolute build paths out of binaries (__FILE__, debug info): the
/// package folder becomes "." and the unit's work tree "build", so a binary does not reveal where
/// it was built and two clones build the same bytes.
/// </summary>
public static class PathMap
{
    /// <summary>The flags, or null where they cannot be given: MSVC, or a path with whitespace (flags strings split on it).</summary>
    public static string? Flags(BuildUnit unit)
    {
        var compiler = Path.GetFileNameWithoutExtension(unit.Toolchain.CCompiler);
        if (compiler.Equals("cl", StringComparison.OrdinalIgnoreCase) || $"{unit.Package.Directory}{unit.WorkDir}".Any(char.IsWhiteSpace))
            return null;
        // The more specific prefix last: GCC and Clang apply the last matching map.
        return $"-ffile-prefix-map={unit.Package.Directory}=. -ffile-prefix-map={unit.WorkDir}=build";
    }
}

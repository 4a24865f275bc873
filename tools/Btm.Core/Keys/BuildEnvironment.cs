namespace Btm.Core.Keys;

/// <summary>Environment variables that change what a native build produces, and so its key.</summary>
public static class BuildEnvironment
{
    // Parallelism and verbosity (MAKEFLAGS, CMAKE_BUILD_PARALLEL_LEVEL, VERBOSE) are left out on
    // purpose: they change how a build runs, not what it makes, and keying on them would make
    // a laptop and CI never share a hit.
    public static readonly IReadOnlyList<string> Names =
    [
        "AR", "AS", "CC", "CFLAGS", "CMAKE_GENERATOR", "CMAKE_TOOLCHAIN_FILE", "CPATH", "CPPFLAGS", "CXX", "CXXFLAGS",
        "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "LD", "LDFLAGS", "LDLIBS", "LIBRARY_PATH", "MACOSX_DEPLOYMENT_TARGET",
        "NM", "OBJCOPY", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_PATH", "PKG_CONFIG_SYSROOT_DIR", "RANLIB", "SDKROOT",
        "SOURCE_DATE_EPOCH", "STRIP",
    ];

    /// <summary>
    /// Variables that name a program (with its flags): they enter the key by the program's file name
    /// and flags, not by where it is installed, so AR=/usr/bin/ar on a laptop and AR=/opt/binutils/bin/ar
    /// on a runner share entries.
    /// </summary>
    private static readonly HashSet<string> Programs = ["AR", "AS", "LD", "NM", "OBJCOPY", "RANLIB"];

    /// <summary>
    /// The compiler and strip are in the toolchain identity already (by name and version): only the
    /// flags these variables add enter here, so CC unset on a laptop and CC=/opt/gcc/bin/cc on a
    /// runner, the same gcc, give one key.
    /// </summary>
    private static readonly HashSet<string> Identified = ["CC", "CXX", "STRIP"];

    public static IReadOnlyDictionary<string, string> Capture(Func<string, string?> lookup)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var value = lookup(name);
            if (string.IsNullOrEmpty(value))
                continue;
            var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (Identified.Contains(name))
            {
                if (words.Length > 1)
                    result[name] = string.Join(' ', words.Skip(1));
            }
            else
            {
                result[name] = Programs.Contains(name)
                    ? string.Join(' ', words.Select(w => w.Contains('/') && !w.StartsWith('-') ? Path.GetFileName(w) : w))
                    : value;
            }
        }
        return result;
    }
}

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

    public static IReadOnlyDictionary<string, string> Capture(Func<string, string?> lookup)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var value = lookup(name);
            if (!string.IsNullOrEmpty(value))
                result[name] = value;
        }
        return result;
    }
}

using Btm.Core.Model;
using Btm.Core.Platforms;
using Cake.Core.Diagnostics;

namespace Btm.Build.Host;

/// <summary>The command line, parsed and checked before anything runs.</summary>
public sealed record HostOptions
{
    public string Target { get; init; } = "Build";
    public IReadOnlyList<string> Packages { get; init; } = [];
    /// <summary>Explicit --platform ids; empty means the cake.config default.</summary>
    public IReadOnlyList<PlatformId> Platforms { get; init; } = [];

    /// <summary>--platform=all: every target each package declares.</summary>
    public bool AllPlatforms { get; init; }
    public BuildMode Mode { get; init; } = BuildMode.Dev;
    public bool Force { get; init; }
    public bool SkipUnavailable { get; init; }
    public Verbosity Verbosity { get; init; } = Verbosity.Normal;
    public string? Root { get; init; }
    public string? SummaryPath { get; init; }
    public bool Help { get; init; }
    public string? SigningKeyPath { get; init; }

    /// <summary>--authenticode-cert: the PKCS#12 that signs win32 programs and installers.</summary>
    public string? AuthenticodeCertPath { get; init; }

    /// <summary>--authenticode-timestamp: an RFC 3161 server.</summary>
    public string? AuthenticodeTimestampUrl { get; init; }
    public bool AllowUnsigned { get; init; }
    public string Registry { get; init; } = "local";

    /// <summary>--registry was on the command line: Verify then checks the release as it stands there.</summary>
    public bool RegistryGiven { get; init; }
    public string Tag { get; init; } = "latest";
    public bool DryRun { get; init; }

    /// <summary>--legs: the partial release folders Assemble merges.</summary>
    public IReadOnlyList<string> Legs { get; init; } = [];

    /// <summary>--remote-cache as given (off, read, readwrite); null: configured default.</summary>
    public string? RemoteCache { get; init; }

    /// <summary>--partial: a release may hold fewer platforms than its packages declare.</summary>
    public bool Partial { get; init; }

    /// <summary>--reset: the Registry task empties the local registry first.</summary>
    public bool Reset { get; init; }

    /// <summary>--offline: sources come from the download cache only.</summary>
    public bool Offline { get; init; }

    /// <summary>CheckTools installs the missing Debian packages and binfmt entries the run needs (a Release; CI=true).</summary>
    public bool InstallPrerequisites { get; init; }

    /// <summary>The manifest must be signed: a local key is made for the local registry, a real registry needs one given (a Release).</summary>
    public bool SignManifest { get; init; }

    /// <summary>Units built at once (--jobs); 1 runs them one after another.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>Every option as given (flags as "true"): what Cake's argument API answers from.</summary>
    public IReadOnlyDictionary<string, string> Arguments { get; init; } = new Dictionary<string, string>();
}

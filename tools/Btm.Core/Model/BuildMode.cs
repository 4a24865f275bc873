namespace Btm.Core.Model;

/// <summary>dev keeps symbols and skips optimisation; prod optimises, strips and may compress.</summary>
public sealed class BuildMode
{
    public static readonly BuildMode Dev = new("dev");
    public static readonly BuildMode Prod = new("prod");

    private BuildMode(string id) => Id = id;

    /// <summary>The word used in paths, keys, checkpoint metadata and on the command line.</summary>
    public string Id { get; }

    public static BuildMode? TryParse(string text) => text.ToLowerInvariant() switch
    {
        "dev" => Dev,
        "prod" => Prod,
        _ => null,
    };

    public override string ToString() => Id;
}

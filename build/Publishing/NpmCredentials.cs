using System.Text;

namespace Btm.Build.Publishing;

/// <summary>
/// A temporary .npmrc (mode 0600) holding the auth token for one registry, passed to npm with
/// --userconfig: the token never appears on a command line or in a log.
/// </summary>
public sealed class NpmCredentials : IDisposable
{
    public NpmCredentials(string registryUrl, string? token)
    {
        Token = token;
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"btm-npmrc-{Guid.NewGuid():N}");
        var uri = new Uri(registryUrl.TrimEnd('/') + "/");
        var text = new StringBuilder($"registry={uri}\n");
        if (token is not null)
            text.Append($"//{uri.Authority}{uri.AbsolutePath}:_authToken={token}\n");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new StreamWriter(Path, Encoding.UTF8, options);
        file.Write(text.ToString());
    }

    public string Path { get; }
    public string? Token { get; }

    public void Dispose()
    {
        try { File.Delete(Path); }
        catch (IOException) { }
    }
}

using Btm.Cake.Logging;
using Btm.Core.Model;

namespace Btm.Build.Pipeline.Sources;

/// <summary>Plain HTTP(S) downloads from the source's "urls", one mirror after another.</summary>
public sealed class UrlFetcher : ISourceFetcher
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(10) };

    public IReadOnlyList<string> Places(SourceSpec source) => source.Urls;

    public string? Fetch(BuildContext context, SourceSpec source, string place, string destination)
    {
        try
        {
            using var response = Http.GetAsync(place, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                return $"answered {(int)response.StatusCode} {response.ReasonPhrase}";
            var length = response.Content.Headers.ContentLength;
            context.Info($"fetching {place}{(length is { } n ? $" ({n / 1024} KiB)" : "")}");
            using var input = response.Content.ReadAsStream();
            using var output = new FileStream(destination, FileMode.Create, FileAccess.Write);
            using var progress = Progress.Start(context, $"fetching {Path.GetFileName(new Uri(place).AbsolutePath)}", length);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
                progress.Advance(read);
            }
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return e.Message;
        }
    }
}

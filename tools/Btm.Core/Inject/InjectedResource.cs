namespace Btm.Core.Inject;

/// <summary>A named blob placed inside an executable, as Node's single-executable reader (postject's API) finds it.</summary>
public sealed record InjectedResource(string Name, byte[] Data)
{
    public string Sha256 => IO.Sha256.Hex(System.Security.Cryptography.SHA256.HashData(Data));
}

/// <summary>What <c>btm binject --list</c> prints for one resource.</summary>
public sealed record ResourceInfo(string Name, long Size, string Sha256, string Where);

/// <summary>The input is not something binject can inject into, or a resource cannot go where asked: the message says why and what to do.</summary>
public sealed class InjectException(string message) : BuildFailedException(message);

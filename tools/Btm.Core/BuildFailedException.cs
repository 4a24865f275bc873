namespace Btm.Core;

/// <summary>
/// A build, test or release step failed for a reason the user can act on (a compiler error, a
/// refused publish, a damaged release). The host prints the message and exits 1, without a stack
/// trace; any other exception type is a bug in BTM and is printed with its stack.
/// </summary>
public class BuildFailedException : Exception
{
    public BuildFailedException(string message) : base(message)
    {
    }

    public BuildFailedException(string message, Exception inner) : base(message, inner)
    {
    }
}

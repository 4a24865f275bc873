using Cake.Core;

namespace Btm.Cake.Hosting;

/// <summary>
/// Cake's console with colour only where a person reads it: on a terminal, unless NO_COLOR is set;
/// FORCE_COLOR (any value but 0) turns it on anywhere. Logs written to a file or a pipe (CI, the MCP
/// service) stay plain text.
/// </summary>
public sealed class ColourPolicyConsole(IConsole inner, bool colour) : IConsole
{
    /// <summary>The policy for this process: FORCE_COLOR, else NO_COLOR, else whether stdout is a terminal.</summary>
    public static bool Wanted(Func<string, string?> environment, bool outputIsTerminal)
    {
        if (environment("FORCE_COLOR") is { Length: > 0 } force)
            return force != "0";
        if (environment("NO_COLOR") is { Length: > 0 })
            return false;
        return outputIsTerminal && environment("TERM") != "dumb";
    }

    public ConsoleColor ForegroundColor
    {
        get => inner.ForegroundColor;
        set
        {
            if (colour)
                inner.ForegroundColor = value;
        }
    }

    public ConsoleColor BackgroundColor
    {
        get => inner.BackgroundColor;
        set
        {
            if (colour)
                inner.BackgroundColor = value;
        }
    }

    public bool SupportAnsiEscapeCodes => colour && inner.SupportAnsiEscapeCodes;

    public void Write(string format, params object[] arg) => inner.Write(format, arg);
    public void Write(string value) => inner.Write(value);
    public void WriteLine(string format, params object[] arg) => inner.WriteLine(format, arg);
    public void WriteLine(string value) => inner.WriteLine(value);
    public void WriteError(string format, params object[] arg) => inner.WriteError(format, arg);
    public void WriteError(string value) => inner.WriteError(value);
    public void WriteErrorLine(string format, params object[] arg) => inner.WriteErrorLine(format, arg);
    public void WriteErrorLine(string value) => inner.WriteErrorLine(value);

    public void ResetColor()
    {
        if (colour)
            inner.ResetColor();
    }
}

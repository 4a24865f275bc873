namespace Btm.Core.Platforms;

/// <summary>
/// The one guard around every reader of executable headers: the reader's own errors get the file's
/// name in front, and an offset, size or count its checks missed (a read outside the file, an
/// arithmetic overflow) is reported as the damaged file it is instead of a stack trace.
/// </summary>
public static class HeaderReader
{
    public static T Read<T>(string path, string format, Func<T> read) => Read(path, format, read, message => new InvalidDataException(message));

    public static T Read<T>(string path, string format, Func<T> read, Func<string, Exception> error)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or BuildFailedException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw error($"{path}: {e.Message}");
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidCastException or EndOfStreamException)
        {
            throw error($"{path}: a damaged {format} file: a header offset, size or count points outside it ({e.GetType().Name}); rebuild it or check that it was copied whole");
        }
    }
}

using Btm.Core;

namespace Btm.Build.Publishing;

/// <summary>Publishing stopped; the report says what each package ended as.</summary>
public class PublishException(string message) : BuildFailedException(message);

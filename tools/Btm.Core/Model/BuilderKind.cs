namespace Btm.Core.Model;

public enum BuilderKind
{
    CMake,
    Make,
}

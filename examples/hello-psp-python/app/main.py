# A Python CLI shipped as a signed self-contained package: the launcher runs the CPython runtime
# slot with this file; BTM_PACKAGE_NAME and BTM_PACKAGE_VERSION come from the package's metadata.
import os
import platform
import sys

name = os.environ["BTM_PACKAGE_NAME"]
version = os.environ["BTM_PACKAGE_VERSION"]
args = sys.argv[1:]
if args[:1] == ["--version"]:
    print(f"{name} {version}")
else:
    suffix = ": " + " ".join(args) if args else ""
    print(f"hello from {name} {version} on Python {platform.python_version()} ({sys.platform}-{platform.machine()}){suffix}")

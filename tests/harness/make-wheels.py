#!/usr/bin/python3
"""A package index for the build tests: wheels of a tiny pure-Python package, laid out as
pip's "simple" repository API expects (DIR/simple/<project>/<wheel>), which
`python3 -m http.server` serves as is.

usage: make-wheels.py DIR
Makes dlrun-probe 1.0 and 2.0; `import dlrun_probe; dlrun_probe.VERSION` says which."""
import base64
import hashlib
import pathlib
import sys
import zipfile


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(directory, version):
    dist_info = f"dlrun_probe-{version}.dist-info"
    files = {
        "dlrun_probe.py": f'VERSION = "{version}"\n'.encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: dlrun-probe\nVersion: {version}\n"
            "Summary: dlrun's build test package\n").encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: dlrun-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n").encode(),
    }
    record = [record_line(name, data) for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"dlrun_probe-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def main():
    project = pathlib.Path(sys.argv[1]) / "simple" / "dlrun-probe"
    project.mkdir(parents=True, exist_ok=True)
    for version in ("1.0", "2.0"):
        make_wheel(project, version)


if __name__ == "__main__":
    main()

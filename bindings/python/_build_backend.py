"""A minimal PEP 517 build backend for the pure-Python `onshi` package.

It writes a wheel (and an sdist) with the standard library only, so `pip install
bindings/python` needs no network and no setuptools. The metadata comes from pyproject.toml's
[project] table (name, version, description, license, requires-python).
SPDX-License-Identifier: Apache-2.0
"""
import base64
import hashlib
import io
import os
import tarfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "onshi"


def _project():
    path = os.path.join(HERE, "pyproject.toml")
    if tomllib is not None:
        with open(path, "rb") as f:
            return tomllib.load(f)["project"]
    project, section = {}, None  # the few flat keys used here, without a TOML library
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[project]" and "=" in line and not line.startswith("#"):
            k, v = (s.strip() for s in line.split("=", 1))
            project[k] = v.strip('"') if v.startswith('"') else v
    return project


def _metadata():
    p = _project()
    lic = p.get("license")
    lic = lic.get("text") if isinstance(lic, dict) else "Apache-2.0"
    lines = ["Metadata-Version: 2.1", "Name: " + p["name"], "Version: " + p["version"],
             "Summary: " + p.get("description", ""), "License: " + lic,
             "Requires-Python: " + p.get("requires-python", ">=3.8"),
             "Description-Content-Type: text/markdown", ""]
    readme = os.path.join(HERE, "README.md")
    body = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    return "\n".join(lines) + "\n" + body, p["name"], p["version"]


def _files():
    for root, dirs, files in os.walk(os.path.join(HERE, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                full = os.path.join(root, f)
                yield full, os.path.relpath(full, HERE).replace(os.sep, "/")


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    metadata, name, version = _metadata()
    dist = "%s-%s.dist-info" % (name, version)
    wheel_name = "%s-%s-py3-none-any.whl" % (name, version)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        for full, rel in _files():
            data = open(full, "rb").read()
            z.writestr(rel, data)
            records.append(_record_line(rel, data))
        extra = {dist + "/METADATA": metadata.encode(),
                 dist + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: onshi _build_backend\n"
                                  b"Root-Is-Purelib: true\nTag: py3-none-any\n"}
        for rel, data in extra.items():
            z.writestr(rel, data)
            records.append(_record_line(rel, data))
        records.append(dist + "/RECORD,,")
        z.writestr(dist + "/RECORD", "\n".join(records) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    _, name, version = _metadata()
    base = "%s-%s" % (name, version)
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for rel in ("pyproject.toml", "_build_backend.py", "README.md"):
            t.add(os.path.join(HERE, rel), base + "/" + rel)
        for full, rel in _files():
            t.add(full, base + "/" + rel)
        metadata = _metadata()[0].encode()
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size = len(metadata)
        t.addfile(info, io.BytesIO(metadata))
    return base + ".tar.gz"

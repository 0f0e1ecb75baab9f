"""The Dockerfile, the Apptainer definition and the local runner are driven by one package list."""

import re
import subprocess

from conftest import ROOT

C = ROOT / "containers"


def package_list():
    return [l.split("#")[0].strip() for l in (C / "packages.txt").read_text().splitlines()
            if l.split("#")[0].strip()]


def test_package_list_has_the_stack():
    pk = package_list()
    for required in ("python3-dolfinx-real", "python3-slepc4py-real", "python3-gmsh", "python3-pint",
                     "python3-meshio", "python3-pyvista", "python3-paraview", "xvfb", "openmpi-bin",
                     "python3-pytest", "python3-mpi4py"):
        assert required in pk
    assert len(pk) == len(set(pk))


def test_all_three_use_the_list():
    docker = (C / "Dockerfile").read_text()
    apptainer = (C / "cqdfem.def").read_text()
    runner = (C / "fenicsx").read_text()
    assert re.search(r"^FROM debian:trixie", docker, re.M)
    assert re.search(r"^From: debian:trixie", apptainer, re.M)
    for text in (docker, apptainer):
        assert "containers/packages.txt" in text
        assert re.search(r"packages\.txt \| xargs apt-get install", text)
        # No second, hand-kept list: no package of the list is named outside it.
        assert not any(re.search(rf"\b{re.escape(p)}\b", text) for p in package_list() if p != "make")
    assert 'pkglist="$here/packages.txt"' in runner


def rootfs_path(containers, cache, suite="trixie"):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cache), "CQDFEM_RUNTIME": "rootfs", "CQDFEM_SUITE": suite,
           "CQDFEM_CACHE": str(cache), "CQDFEM_PRINT_ROOTFS": "1"}
    r = subprocess.run([str(containers / "fenicsx")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_runner_cache_key_follows_the_list(tmp_path):
    """The rootfs is keyed by suite and package list: comments do not matter, packages do."""
    import shutil

    copy = tmp_path / "containers"
    shutil.copytree(C, copy)
    cache = tmp_path / "cache"
    p1 = rootfs_path(copy, cache)
    with open(copy / "packages.txt", "a") as f:
        f.write("\n# a comment changes nothing\n")
    p2 = rootfs_path(copy, cache)
    with open(copy / "packages.txt", "a") as f:
        f.write("python3-tqdm\n")
    p3 = rootfs_path(copy, cache)
    assert p1 == p2 != p3
    assert p1.startswith(f"{cache}/rootfs-trixie-")
    assert rootfs_path(copy, cache, "sid").startswith(f"{cache}/rootfs-sid-")
    assert not cache.exists()      # asking for the path builds nothing

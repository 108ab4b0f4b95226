#!/usr/bin/env python3
"""make image-test: the image archive holds exactly the given binaries, byte for byte, at /, and nothing
else; its entrypoint is the agent; skopeo (the tool that pushes it) reads it and names the same digest;
and (as root) the agent runs `install` chrooted into nothing but the image's files, as in a container
FROM scratch: the plugins land in /opt/cni/bin of that root.
Usage: check-image.py IMAGE.tar BINARY..."""
import gzip
import shutil
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile


def run_in_scratch(files):
    """The image's root and nothing else, with /proc as a container runtime mounts it (the Swift runtime
    finds itself through /proc/self/exe) in a mount and PID namespace of its own, the agent PID 1:
    the agent installs the plugins within it."""
    with tempfile.TemporaryDirectory(prefix="image-root-") as root:
        os.mkdir(os.path.join(root, "proc"))
        for name, (data, mode) in files.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(root, name), mode)
        out = subprocess.run([shutil.which("unshare"), "--mount", "--pid", "--fork", "--mount-proc=" + os.path.join(root, "proc"),
                              shutil.which("chroot"), root, "/swift-cni-node", "install", "--cni-bin-dir", "/opt/cni/bin"],
                             capture_output=True, text=True, env={})
        if out.returncode != 0:
            return ["the agent does not run in the image's root alone: %s" % out.stderr.strip()]
        installed = sorted(os.listdir(os.path.join(root, "opt", "cni", "bin")))
        plugins = sorted(n for n in files if n != "swift-cni-node")
        if installed != plugins:
            return ["install in the image's root gave %s, not %s" % (installed, plugins)]
        if os.listdir(os.path.join(root, "proc")):
            return ["/proc of the image's root is still mounted"]
        print("the agent ran in the image's root alone: " + " ".join(l for l in out.stderr.split("\n") if l)[:200])
    return []


def main(image, binaries):
    failures = []
    with tarfile.open(image) as archive:
        def blob(digest):
            return archive.extractfile("./blobs/sha256/" + digest.split(":", 1)[1]).read()

        index = json.loads(archive.extractfile("./index.json").read())
        manifest_digest = index["manifests"][0]["digest"]
        raw_manifest = blob(manifest_digest)
        if "sha256:" + hashlib.sha256(raw_manifest).hexdigest() != manifest_digest:
            failures.append("the manifest does not match its digest")
        manifest = json.loads(raw_manifest)
        config = json.loads(blob(manifest["config"]["digest"]))
        files = {}
        for layer in manifest["layers"]:
            data = blob(layer["digest"])
            if "sha256:" + hashlib.sha256(data).hexdigest() != layer["digest"]:
                failures.append("layer %s does not match its digest" % layer["digest"])
            with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
                for member in tar.getmembers():
                    name = member.name.lstrip("./").lstrip("/")
                    if member.isdir() and name == "":
                        continue
                    if not member.isfile():
                        failures.append("the layer holds %s, which is not a regular file" % member.name)
                        continue
                    files[name] = (tar.extractfile(member).read(), member.mode)
    expected = {os.path.basename(b): b for b in binaries}
    if sorted(files) != sorted(expected):
        failures.append("the image holds %s, not %s" % (sorted(files), sorted(expected)))
    for name, path in expected.items():
        with open(path, "rb") as f:
            if name in files and files[name][0] != f.read():
                failures.append("/%s differs from %s" % (name, path))
        if name in files and files[name][1] & 0o777 != 0o755:
            failures.append("/%s has mode %o" % (name, files[name][1]))
    if config.get("config", {}).get("Entrypoint") != ["/swift-cni-node"]:
        failures.append("the entrypoint is %s" % config.get("config", {}).get("Entrypoint"))
    if config.get("rootfs", {}).get("diff_ids") is None or len(manifest["layers"]) != 1:
        failures.append("expected one layer on scratch, found %d" % len(manifest["layers"]))
    inspect = json.loads(subprocess.run(["skopeo", "inspect", "oci-archive:" + image], check=True,
                                        capture_output=True, text=True).stdout)
    if inspect.get("Digest") != manifest_digest:
        failures.append("skopeo reads digest %s, the index names %s" % (inspect.get("Digest"), manifest_digest))
    if os.geteuid() == 0 and not failures:
        failures += run_in_scratch(files)
    for failure in failures:
        print("FAIL  " + failure)
    print("image %s: %d files (%s), digest %s" % (image, len(files), ", ".join(sorted(files)), manifest_digest))
    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))

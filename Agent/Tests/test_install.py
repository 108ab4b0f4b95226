"""swift-cni-node install, black box: atomic replacement under a runtime that keeps exec'ing, idempotence, the policy."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

from support import AGENT, HERE

PLUGINS = ["bridge", "macvtap", "layer2-overlay", "tuning"]
BIN = os.environ.get("SWIFT_CNI_BIN", os.path.join(HERE, "..", "..", ".build", "release"))


def install(*args):
    return subprocess.run([AGENT, "install", *args], capture_output=True, text=True)


def version(path):
    out = subprocess.run([path], env={"CNI_COMMAND": "VERSION"}, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return out.returncode == 0 and "supportedVersions" in out.stdout


class InstallTests(unittest.TestCase):
    def setUp(self):
        # Beside the build, so that hard links work and the copies below cost little.
        self.work = tempfile.mkdtemp(prefix="install-test-", dir=os.path.dirname(os.path.abspath(AGENT)))
        self.old = os.path.join(self.work, "old")
        self.new = os.path.join(self.work, "new")
        self.target = os.path.join(self.work, "opt", "cni", "bin")
        os.mkdir(self.old)
        os.mkdir(self.new)
        for name in PLUGINS:
            os.link(os.path.join(BIN, name), os.path.join(self.old, name))
            # Another build of the same plugin: the same program with bytes after its end (still runs).
            with open(os.path.join(BIN, name), "rb") as src, open(os.path.join(self.new, name), "wb") as dst:
                dst.write(src.read() + b"\0swift-cni new build\0" * 4096)

    def tearDown(self):
        shutil.rmtree(self.work)

    def content(self, directory, name):
        with open(os.path.join(directory, name), "rb") as f:
            return f.read()

    def snapshot(self):
        return {n: (s.st_ino, s.st_mtime_ns, s.st_mode) for n in os.listdir(self.target)
                for s in [os.lstat(os.path.join(self.target, n))]}

    def test_replace_while_a_runtime_keeps_exec_ing(self):
        out = install("--cni-bin-dir", self.target, "--from", self.old)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(os.listdir(self.target)), sorted(PLUGINS))
        results, stop = [], threading.Event()

        def runtime():
            while not stop.is_set():
                results.append(version(os.path.join(self.target, "tuning")))

        thread = threading.Thread(target=runtime)
        thread.start()
        try:
            for round in range(6):
                source = self.new if round % 2 == 0 else self.old
                out = install("--cni-bin-dir", self.target, "--from", source)
                self.assertEqual(out.returncode, 0, out.stderr)
                for name in PLUGINS:
                    self.assertEqual(self.content(self.target, name), self.content(source, name), name)
        finally:
            stop.set()
            thread.join()
        self.assertGreater(len(results), 20, "the runtime loop exec'd the plugin often enough to meet a replace")
        self.assertTrue(all(results), "%d of %d execs failed" % (results.count(False), len(results)))
        self.assertEqual(sorted(os.listdir(self.target)), sorted(PLUGINS), "no temporary file left")
        for name in PLUGINS:
            self.assertEqual(os.stat(os.path.join(self.target, name)).st_mode & 0o7777, 0o755)

    def test_second_run_changes_nothing(self):
        self.assertEqual(install("--cni-bin-dir", self.target, "--from", self.old).returncode, 0)
        before = self.snapshot()
        out = install("--cni-bin-dir", self.target, "--from", self.old)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(out.stderr.count("unchanged"), 4, out.stderr)
        # A plugin whose mode drifted is rewritten, the others stay.
        os.chmod(os.path.join(self.target, "bridge"), 0o644)
        out = install("--cni-bin-dir", self.target, "--from", self.old)
        after = self.snapshot()
        self.assertNotEqual(after["bridge"][0], before["bridge"][0])
        self.assertEqual(after["bridge"][2] & 0o777, 0o755)
        self.assertEqual({n: v for n, v in after.items() if n != "bridge"}, {n: v for n, v in before.items() if n != "bridge"})

    def test_symlink_at_a_plugin_is_replaced_not_followed(self):
        os.makedirs(self.target)
        decoy = os.path.join(self.work, "decoy")
        with open(decoy, "wb") as f:
            f.write(b"decoy")
        os.symlink(decoy, os.path.join(self.target, "tuning"))
        self.assertEqual(install("--cni-bin-dir", self.target, "--from", self.old).returncode, 0)
        self.assertFalse(os.path.islink(os.path.join(self.target, "tuning")))
        self.assertEqual(self.content(self.target, "tuning"), self.content(self.old, "tuning"))
        with open(decoy, "rb") as f:
            self.assertEqual(f.read(), b"decoy")

    def test_missing_plugin_changes_nothing(self):
        self.assertEqual(install("--cni-bin-dir", self.target, "--from", self.old).returncode, 0)
        before = self.snapshot()
        os.unlink(os.path.join(self.new, "macvtap"))
        out = install("--cni-bin-dir", self.target, "--from", self.new)
        self.assertEqual(out.returncode, 1)
        self.assertIn("macvtap", out.stderr)
        self.assertEqual(self.snapshot(), before)

    def test_default_source_is_the_executables_directory(self):
        image = os.path.join(self.work, "image")
        os.mkdir(image)
        for name in PLUGINS:
            os.link(os.path.join(self.old, name), os.path.join(image, name))
        os.link(AGENT, os.path.join(image, "swift-cni-node"))
        out = subprocess.run([os.path.join(image, "swift-cni-node"), "install", "--cni-bin-dir", self.target],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(version(os.path.join(self.target, "tuning")))

    def test_policy(self):
        policy = os.path.join(self.work, "policy.json")
        policy_dir = os.path.join(self.work, "etc", "cni", "swift-cni")
        with open(policy, "w") as f:
            json.dump({"stateDirectories": ["/run/cni", "/var/lib/cni"], "peersDirectory": "/etc/cni/swift-cni/peers"}, f)
        args = ["--cni-bin-dir", self.target, "--from", self.old, "--policy", policy, "--policy-dir", policy_dir]
        self.assertEqual(install(*args).returncode, 0)
        installed = os.path.join(policy_dir, "policy.json")
        self.assertEqual(self.content(policy_dir, "policy.json"), self.content(self.work, "policy.json"))
        self.assertEqual(os.stat(installed).st_mode & 0o777, 0o644)
        inode = os.stat(installed).st_ino
        out = install(*args)
        self.assertIn("unchanged \"%s\"" % installed, out.stderr)
        self.assertEqual(os.stat(installed).st_ino, inode)
        with open(policy, "w") as f:
            f.write('{"peersDirectory": ')
        out = install(*args)
        self.assertEqual(out.returncode, 1)
        self.assertIn("is not one JSON object; nothing installed", out.stderr)
        self.assertEqual(os.stat(installed).st_ino, inode)
        out = install("--cni-bin-dir", self.target, "--policy", policy)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("--policy and --policy-dir go together", out.stderr)


if __name__ == "__main__":
    unittest.main()

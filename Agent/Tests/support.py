"""What the agent's black-box tests share: a CA and certificates made with openssl, the agent run as
a child process with its log captured, and waiting for a condition."""
import base64
import os
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.environ.get("SWIFT_CNI_NODE", os.path.join(HERE, "..", "..", ".build", "agent", "release", "swift-cni-node"))


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(directory, ips=("127.0.0.1",)):
    """ca.crt, server.crt/key (`ips` and localhost), client.crt/key (CN system:node:agent), wrong-ca.crt."""
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s,DNS:localhost\nextendedKeyUsage=serverAuth\n" % ",".join("IP:" + ip for ip in ips))
    with open(os.path.join(directory, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for ca in ("ca", "wrong-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + ca,
                "-keyout", ca + ".key", "-out", ca + ".crt", cwd=directory)
    for name, subject in (("server", "/CN=apiserver"), ("client", "/CN=system:node:agent")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + ".key",
                "-out", name + ".csr", cwd=directory)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt", cwd=directory)


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def wait_for(predicate, timeout=15, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


class Agent:
    """swift-cni-node run as a child, its stderr in a file."""

    def __init__(self, args, env=None, command=False):
        """args: the agent's arguments, or with command=True the whole command line."""
        self.log_file = tempfile.NamedTemporaryFile(prefix="agent-log-", delete=False)
        self.process = subprocess.Popen(args if command else [AGENT, *args], stdin=subprocess.DEVNULL, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, env=env or {"PATH": "/usr/bin:/bin"})

    def log(self):
        with open(self.log_file.name, errors="replace") as f:
            return f.read()

    def wait_log(self, text, count=1, timeout=15):
        return wait_for(lambda: self.log().count(text) >= count, timeout, "%r in the agent's log:\n%s" % (text, self.log()))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.unlink(self.log_file.name)
        return self.process.returncode

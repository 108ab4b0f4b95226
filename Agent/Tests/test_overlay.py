#!/usr/bin/env python3
"""The overlay follows the nodes: one swift-cni-node per "node" (a throwaway netns on one underlay), all
watching the same stand-in API. No CNI call is made on a node after it has its pod, yet:
- with Geneve (the stock-kernel VM lane): a node added to the API gets tunnels from the others within
  seconds and its pod is pinged from theirs; a node removed from the API loses its tunnels;
- without (the host kernel): each agent still finds the node's layer2-overlay network (the segment record
  ADD left) and reconciles it when the node list changes — the tunnel to the new peer is what this kernel
  cannot make, and the agent logs that failure and keeps running.
Needs root (network namespaces), the plugins (SWIFT_CNI_BIN), the libcni runner (CNI_RUNNER) and the agent.
Run it directly (the VM lane's `script` line) or with the other agent tests (unittest)."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from fake_apiserver import FakeAPIServer
from support import AGENT, Agent, make_pki, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("SWIFT_CNI_BIN", os.path.join(ROOT, ".build", "release"))
RUNNER = os.environ.get("CNI_RUNNER", os.path.join(ROOT, ".build", "cnirunner"))
API_IP = "192.0.2.100"


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def geneve_available():
    name = "scni-gnvprobe-%d" % os.getpid()
    sh("ip", "netns", "add", name)
    try:
        return sh("ip", "-n", name, "link", "add", "g", "type", "geneve", "id", "1", "remote", "192.0.2.1", check=False).returncode == 0
    finally:
        sh("ip", "netns", "del", name)


@unittest.skipUnless(os.geteuid() == 0, "needs root: network namespaces")
class OverlayFollowsTheNodes(unittest.TestCase):
    def setUp(self):
        self.id = "%x" % (os.getpid() & 0xffff)
        self.work = tempfile.mkdtemp(prefix="agent-overlay-")
        self.namespaces = []
        self.agents = {}
        self.pki = os.path.join(self.work, "pki")
        os.mkdir(self.pki)
        make_pki(self.pki, ips=(API_IP,))
        # The API's netns holds the underlay bridge; the stand-in listens on it (run from inside).
        self.api = self.netns("api")
        sh("ip", "-n", self.api, "link", "add", "ul", "type", "bridge")
        sh("ip", "-n", self.api, "addr", "add", API_IP + "/24", "dev", "ul")
        sh("ip", "-n", self.api, "link", "set", "ul", "up")
        self.server = self.serve_in(self.api)

    def tearDown(self):
        for agent in self.agents.values():
            agent.stop()
        self.server.close()
        for ns in reversed(self.namespaces):
            inode = os.stat("/var/run/netns/" + ns).st_ino
            shutil.rmtree("/run/cni/swift-cni/overlay/netns-%d" % inode, ignore_errors=True)
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.work)

    def netns(self, suffix):
        name = "scni-ag%s-%s" % (self.id, suffix)
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def serve_in(self, netns):
        """The stand-in, bound in `netns`: this thread enters it for the bind, then comes back."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open("/var/run/netns/" + netns, os.O_RDONLY)
        try:
            _setns(target)
            return FakeAPIServer(*(os.path.join(self.pki, n) for n in ("server.crt", "server.key", "ca.crt")),
                                 token="node-token", host=API_IP)
        finally:
            _setns(own)
            os.close(own)
            os.close(target)

    def node(self, index):
        """Node `index`: its netns with eth0 on the underlay (192.0.2.index), its dir with the network's
        conflist (peers from the agent's `nodes` file only; static IPAM 10.99.0.index), its node policy
        and a kubeconfig for the stand-in."""
        ns = self.netns("n%d" % index)
        sh("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "n%d" % index, "netns", self.api)
        sh("ip", "-n", self.api, "link", "set", "n%d" % index, "master", "ul", "up")
        sh("ip", "-n", ns, "addr", "add", "192.0.2.%d/24" % index, "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        home = os.path.join(self.work, "n%d" % index)
        for sub in ("net.d", "peers", "state", "cache"):
            os.makedirs(os.path.join(home, sub))
        with open(os.path.join(home, "net.d", "l2net.conflist"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "l2net", "plugins": [{
                "type": "layer2-overlay", "vni": 4242, "peersFile": "nodes", "dataDir": os.path.join(home, "state"),
                "ipam": {"type": "static", "addresses": [{"address": "10.99.0.%d/24" % index}]}}]}, f)
        with open(os.path.join(home, "policy.json"), "w") as f:
            json.dump({"stateDirectories": [home], "peersDirectory": os.path.join(home, "peers")}, f)
        shutil.copy(os.path.join(self.pki, "ca.crt"), os.path.join(home, "ca.crt"))
        with open(os.path.join(home, "kubeconfig"), "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n"
                    "    server: https://%s:%d\n    certificate-authority: ca.crt\ncontexts:\n- name: c\n"
                    "  context: {cluster: s, user: u}\nusers:\n- name: u\n  user: {token: node-token}\n"
                    % (API_IP, self.server.port))
        return ns, home

    def start_agent(self, index, ns, home):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SWIFT_CNI_POLICY": os.path.join(home, "policy.json")}
        self.agents[index] = Agent(["ip", "netns", "exec", ns, AGENT, "run", "--kubeconfig", os.path.join(home, "kubeconfig"),
                                    "--peers-dir", os.path.join(home, "peers"), "--node-name", "n%d" % index],
                                   env=env, command=True)

    def wait_nodes(self, home, *ips):
        path = os.path.join(home, "peers", "nodes")
        expected = "".join(ip + "\n" for ip in ips)

        def current():
            try:
                with open(path) as f:
                    return f.read()
            except FileNotFoundError:
                return None
        wait_for(lambda: current() == expected, 20, "%s to be %r" % (path, expected))

    def add_pod(self, index, ns, home):
        pod = self.netns("pod%d" % index)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NETCONFPATH": os.path.join(home, "net.d"),
               "CNI_PATH": "%s:/usr/lib/cni" % BIN, "CNI_CACHE_DIR": os.path.join(home, "cache"), "CNI_IFNAME": "net1",
               "CNI_CONTAINERID": "agent%s%d" % (self.id, index), "SWIFT_CNI_POLICY": os.path.join(home, "policy.json"),
               "CNI_ARGS": "IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=vm%d" % index}
        done = subprocess.run(["ip", "netns", "exec", ns, RUNNER, "add", "l2net", "/var/run/netns/" + pod],
                              env=env, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, "ADD on n%d: %s %s" % (index, done.stdout, done.stderr))
        return pod

    def remotes(self, ns):
        """The remote address of every Geneve device in `ns`."""
        links = json.loads(sh("ip", "-n", ns, "-d", "-j", "link", "show", "type", "geneve").stdout or "[]")
        return sorted((l.get("linkinfo", {}).get("info_data", {}).get("remote") or "?") for l in links)

    def pings(self, pod, address):
        return sh("ip", "netns", "exec", pod, "ping", "-c", "1", "-W", "2", address, check=False).returncode == 0

    def test_a_node_that_joins_is_reached_and_one_that_leaves_loses_its_tunnels(self):
        if not geneve_available():
            return self.reconcile_without_geneve()
        self.server.add("n1", "192.0.2.1")
        self.server.add("n2", "192.0.2.2")
        nodes = {i: self.node(i) for i in (1, 2, 3)}
        for i in (1, 2):
            self.start_agent(i, *nodes[i])
            self.wait_nodes(nodes[i][1], "192.0.2.1", "192.0.2.2")
        pods = {i: self.add_pod(i, *nodes[i]) for i in (1, 2)}
        self.assertEqual(self.remotes(nodes[1][0]), ["192.0.2.2"])
        self.assertTrue(wait_for(lambda: self.pings(pods[1], "10.99.0.2"), 30, "n1's pod to reach n2's"))
        # n3 joins: the agents of n1 and n2 make its tunnels with no CNI call on their nodes.
        self.server.add("n3", "192.0.2.3")
        for i in (1, 2):
            wait_for(lambda: "192.0.2.3" in self.remotes(nodes[i][0]), 20, "n%d's tunnel to n3" % i)
            self.agents[i].wait_log('overlay network "l2net" bridge ')
        self.start_agent(3, *nodes[3])
        self.wait_nodes(nodes[3][1], "192.0.2.1", "192.0.2.2", "192.0.2.3")
        pods[3] = self.add_pod(3, *nodes[3])
        self.assertTrue(wait_for(lambda: self.pings(pods[1], "10.99.0.3"), 30, "n1's pod to reach the new node's pod"))
        self.assertTrue(self.pings(pods[2], "10.99.0.3"))
        # n3 leaves the cluster: its tunnels go from n1 and n2; they still reach each other.
        self.server.delete("n3")
        for i in (1, 2):
            wait_for(lambda: "192.0.2.3" not in self.remotes(nodes[i][0]), 20, "n%d's tunnel to n3 removed" % i)
        self.assertEqual(self.remotes(nodes[1][0]), ["192.0.2.2"])
        self.assertTrue(self.pings(pods[1], "10.99.0.2"))
        self.assertFalse(self.pings(pods[1], "10.99.0.3"))

    def reconcile_without_geneve(self):
        """Host kernel: one node and its pod (no tunnel needed); when a second node joins the API, the agent
        finds the network ADD recorded and reconciles it — the tunnel is what this kernel cannot make: the
        failure is logged, naming the network, and the agent keeps running."""
        self.server.add("n1", "192.0.2.1")
        ns, home = self.node(1)
        self.start_agent(1, ns, home)
        self.wait_nodes(home, "192.0.2.1")
        self.agents[1].wait_log("overlay: no layer2-overlay network on this node")
        self.add_pod(1, ns, home)
        self.server.add("n2", "192.0.2.2")
        self.wait_nodes(home, "192.0.2.1", "192.0.2.2")
        self.agents[1].wait_log('overlay network "l2net" bridge l2o', timeout=20)
        self.agents[1].wait_log("reconcile failed", timeout=20)
        self.assertIn("192.0.2.2", self.agents[1].log())
        self.assertIsNone(self.agents[1].process.poll(), "the agent exited on a failed reconcile")


def _setns(fd):
    """os.setns for Pythons before 3.12."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns")


if __name__ == "__main__":
    unittest.main()

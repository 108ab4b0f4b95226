"""swift-cni-node run, black box, against the HTTPS stand-in of the API's Node list and watch."""
import os
import shutil
import signal
import tempfile
import time
import unittest

from fake_apiserver import FakeAPIServer
from support import AGENT, Agent, b64, make_pki, wait_for


class RunTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="agent-pki-")
        make_pki(cls.pki)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki)

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="agent-run-")
        self.peers = os.path.join(self.work, "peers")
        self.server = FakeAPIServer(*(os.path.join(self.pki, n) for n in ("server.crt", "server.key", "ca.crt")),
                                    token="right-token")
        self.agents = []

    def tearDown(self):
        for agent in self.agents:
            agent.stop()
        self.server.close()
        shutil.rmtree(self.work)

    def kubeconfig(self, token="right-token", user=None):
        """A YAML kubeconfig whose CA and token file are named relative to it."""
        shutil.copy(os.path.join(self.pki, "ca.crt"), os.path.join(self.work, "ca.crt"))
        with open(os.path.join(self.work, "token"), "w") as f:
            f.write(token + "\n")
        path = os.path.join(self.work, "kubeconfig")
        with open(path, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: test
clusters:
- name: stand-in
  cluster:
    server: https://127.0.0.1:{self.server.port}/
    certificate-authority: ca.crt
contexts:
- name: other
  context: {{cluster: nowhere, user: nobody}}
- name: test
  context:
    cluster: stand-in
    user: agent
users:
- name: agent
  user:
{user or '    tokenFile: token'}
""")
        return path

    def start(self, *extra, kubeconfig=None, env=None):
        agent = Agent(["run", "--kubeconfig", kubeconfig or self.kubeconfig(), "--peers-dir", self.peers, *extra], env=env)
        self.agents.append(agent)
        return agent

    def nodes_file(self):
        try:
            with open(os.path.join(self.peers, "nodes")) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def wait_nodes(self, *ips, timeout=15):
        expected = "".join(ip + "\n" for ip in ips)
        wait_for(lambda: self.nodes_file() == expected, timeout,
                 "nodes file %r (it is %r); log:\n%s" % (expected, self.nodes_file(), self.agents[-1].log()))

    def test_follows_adds_deletes_and_address_changes(self):
        self.server.add("node-b", "192.0.2.2")
        self.server.add("node-a", "192.0.2.10")
        self.server.add("no-ip", None)
        listed_at = str(self.server.rv)
        agent = self.start("--node-name", "node-a")
        self.wait_nodes("192.0.2.10", "192.0.2.2")
        agent.wait_log("peers changed: [] -> [192.0.2.10, 192.0.2.2]")
        self.assertIn('listed 3 nodes at resourceVersion "%s" (1 without a usable InternalIP: not peers)' % listed_at, agent.log())
        watch = wait_for(self.server.watches, what="a watch")[0]
        self.assertEqual(watch["allowWatchBookmarks"], "true")
        self.assertEqual(watch["resourceVersion"], listed_at, "the watch starts at the list's resourceVersion")
        self.server.add("node-c", "2001:DB8::0:3")
        self.wait_nodes("192.0.2.10", "192.0.2.2", "2001:db8::3")
        agent.wait_log('node added: "node-c" 2001:db8::3')
        self.server.delete("node-b")
        self.wait_nodes("192.0.2.10", "2001:db8::3")
        agent.wait_log('node removed: "node-b" 192.0.2.2')
        agent.wait_log("peers changed: [192.0.2.10, 192.0.2.2, 2001:db8::3] -> [192.0.2.10, 2001:db8::3] (+0 -1)")
        self.server.modify("node-c", ip="192.0.2.3")
        self.wait_nodes("192.0.2.10", "192.0.2.3")
        agent.wait_log('node changed: "node-c" 2001:db8::3 -> 192.0.2.3')
        # A change that leaves the addresses as they are rewrites nothing and calls no hook.
        before = os.stat(os.path.join(self.peers, "nodes"))
        changes = agent.log().count("peers changed")
        self.server.modify("node-a", labels={"zone": "b"})
        self.server.add("node-d", "192.0.2.3")     # the same address twice is one line
        agent.wait_log('node added: "node-d" 192.0.2.3')
        time.sleep(0.5)
        after = os.stat(os.path.join(self.peers, "nodes"))
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertEqual(agent.log().count("peers changed"), changes)
        self.assertEqual(len(self.server.lists()), 1, "no relist without a 410")
        self.assertNotIn("not in the selected Node list", agent.log())
        self.assertEqual(os.stat(os.path.join(self.peers, "nodes")).st_mode & 0o777, 0o644)
        self.assertEqual([n for n in os.listdir(self.peers)], ["nodes"], "no temporary file left")

    def test_label_selector_follows_labels(self):
        self.server.add("n1", "10.0.0.1", {"swift-cni/overlay": "true"})
        self.server.add("n2", "10.0.0.2", {})
        agent = self.start("--label-selector", "swift-cni/overlay=true", "--node-name", "n2")
        self.wait_nodes("10.0.0.1")
        self.assertEqual(self.server.lists()[0]["labelSelector"], "swift-cni/overlay=true")
        self.assertEqual(wait_for(self.server.watches, what="a watch")[0]["labelSelector"], "swift-cni/overlay=true")
        agent.wait_log('this node "n2" is not in the selected Node list')
        self.server.modify("n2", labels={"swift-cni/overlay": "true"})
        self.wait_nodes("10.0.0.1", "10.0.0.2")
        self.server.modify("n1", labels={"swift-cni/overlay": "false"})
        self.wait_nodes("10.0.0.2")
        agent.wait_log('node removed: "n1" 10.0.0.1')

    def check_relist_after_gone(self, as_event):
        self.server.gone_as_event = as_event
        self.server.add("n1", "10.0.0.1")
        self.server.add("n2", "10.0.0.2")
        agent = self.start()
        self.wait_nodes("10.0.0.1", "10.0.0.2")
        wait_for(lambda: self.server.watches(), what="a watch")
        # Changes the watch never sees: the history is compacted, then the connection dropped.
        self.server.compact()
        with self.server.lock:
            self.server.nodes.pop("n1")
            self.server.rv += 5
        self.server.compact()
        self.server.drop_watches()
        self.server.add("n3", "10.0.0.3")
        self.wait_nodes("10.0.0.2", "10.0.0.3")
        agent.wait_log("expired (410 Gone")
        agent.wait_log('node removed: "n1" 10.0.0.1')
        self.assertEqual(len(self.server.lists()), 2)
        return agent

    def test_relists_after_410_status(self):
        self.check_relist_after_gone(as_event=False)

    def test_relists_after_410_error_event(self):
        self.check_relist_after_gone(as_event=True)

    def test_reconnects_from_last_resource_version_after_a_drop(self):
        self.server.bookmark_interval = 0.2
        self.server.add("n1", "10.0.0.1")
        agent = self.start()
        self.wait_nodes("10.0.0.1")
        self.server.add("n2", "10.0.0.2")
        self.wait_nodes("10.0.0.1", "10.0.0.2")
        with self.server.lock:  # writes to other objects: only a bookmark tells the agent of them
            self.server.rv += 7
            last = self.server.rv
        time.sleep(0.6)  # a bookmark or two
        self.server.drop_watches()
        agent.wait_log("broke after")
        wait_for(lambda: len(self.server.watches()) >= 2, what="a second watch")
        self.assertEqual(self.server.watches()[1]["resourceVersion"], str(last), "watches again from the bookmark's resourceVersion")
        self.server.delete("n1")
        self.wait_nodes("10.0.0.2")
        self.assertEqual(len(self.server.lists()), 1, "a dropped connection is no reason to list again")

    def test_server_errors_and_401_are_retried(self):
        self.server.add("n1", "10.0.0.1")
        self.server.fail_next = [500, 503]
        kubeconfig = self.kubeconfig(token="wrong-token")
        agent = self.start(kubeconfig=kubeconfig)
        agent.wait_log("HTTP 401 (token or client certificate refused)", count=2)
        self.assertIsNone(self.nodes_file())
        with open(os.path.join(self.work, "token"), "w") as f:  # the token rotated: read on every request
            f.write("right-token\n")
        self.wait_nodes("10.0.0.1", timeout=30)
        self.assertIn("HTTP 500", agent.log())
        self.assertIn("HTTP 503", agent.log())
        self.server.fail_next = [403]
        self.server.drop_watches()
        agent.wait_log("HTTP 403 (forbidden")
        self.server.add("n2", "10.0.0.2")
        self.wait_nodes("10.0.0.1", "10.0.0.2", timeout=30)
        self.assertIsNone(agent.process.poll())

    def test_unreachable_server_is_retried_and_sigterm_exits_cleanly(self):
        self.server.add("n1", "10.0.0.1")
        kubeconfig = self.kubeconfig()
        self.server.close()
        agent = self.start(kubeconfig=kubeconfig)
        agent.wait_log("retrying in", count=2, timeout=40)
        self.assertIn("Connection refused", agent.log())
        self.assertIsNone(agent.process.poll())
        agent.process.send_signal(signal.SIGTERM)
        self.assertEqual(agent.process.wait(10), 0)
        self.assertIn("SIGTERM: stopping", agent.log())

    def test_sigterm_during_a_watch_exits_zero(self):
        self.server.add("n1", "10.0.0.1")
        agent = self.start()
        self.wait_nodes("10.0.0.1")
        wait_for(lambda: self.server.watches(), what="a watch")
        agent.process.send_signal(signal.SIGTERM)
        self.assertEqual(agent.process.wait(10), 0)
        agent.wait_log("stopped")

    def test_paged_list(self):
        self.server.page_size = 2
        for i in range(1, 6):
            self.server.add("n%d" % i, "10.0.1.%d" % i)
        agent = self.start()
        self.wait_nodes(*("10.0.1.%d" % i for i in range(1, 6)))
        self.assertEqual(len(self.server.lists()), 3)
        self.assertEqual(self.server.lists()[0]["limit"], "500")
        agent.wait_log("listed 5 nodes")

    def test_client_certificate_with_embedded_data(self):
        self.server.add("n1", "10.0.0.1")
        user = "\n".join(["    client-certificate-data: " + b64(os.path.join(self.pki, "client.crt")),
                          "    client-key-data: " + b64(os.path.join(self.pki, "client.key"))])
        self.start(kubeconfig=self.kubeconfig(user=user))
        self.wait_nodes("10.0.0.1")
        self.assertNotIn("Authorization", str(self.server.requests))

    def test_in_cluster_service_account(self):
        self.server.add("n1", "10.0.0.1")
        account = os.path.join(self.work, "serviceaccount")
        os.mkdir(account)
        shutil.copy(os.path.join(self.pki, "ca.crt"), os.path.join(account, "ca.crt"))
        with open(os.path.join(account, "token"), "w") as f:
            f.write("right-token")
        env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.server.port), "NODE_NAME": "n9"}
        agent = Agent(["run", "--service-account-dir", account, "--peers-dir", self.peers], env=env)
        self.agents.append(agent)
        self.wait_nodes("10.0.0.1")
        agent.wait_log('this node "n9" is not in the selected Node list')

    def test_untrusted_server_certificate_is_refused_and_retried(self):
        self.server.add("n1", "10.0.0.1")
        kubeconfig = self.kubeconfig()
        shutil.copy(os.path.join(self.pki, "wrong-ca.crt"), os.path.join(self.work, "ca.crt"))
        agent = self.start(kubeconfig=kubeconfig)
        agent.wait_log("retrying in", count=2, timeout=40)
        self.assertIsNone(self.nodes_file())
        self.assertFalse(self.server.lists())

    def test_existing_file_kept_when_unchanged_and_hook_called_once_after_list(self):
        os.makedirs(self.peers)
        with open(os.path.join(self.peers, "nodes"), "w") as f:
            f.write("10.0.0.1\n")
        inode = os.stat(os.path.join(self.peers, "nodes")).st_ino
        self.server.add("n1", "10.0.0.1")
        agent = self.start()
        agent.wait_log("peers changed: [10.0.0.1] -> [10.0.0.1] (+0 -0)")
        self.assertEqual(os.stat(os.path.join(self.peers, "nodes")).st_ino, inode)
        self.assertNotIn("wrote", agent.log())

    def test_hostile_names_are_escaped_in_the_log(self):
        self.server.add("evil\n\x1b[31mnode", "10.0.0.7")
        agent = self.start()
        self.wait_nodes("10.0.0.7")
        agent.wait_log('node added: "evil\\n\\u{1b}[31mnode" 10.0.0.7')
        self.assertNotIn("\x1b", agent.log())

    @unittest.skipUnless(os.geteuid() == 0, "needs root: chroot and a PID namespace")
    def test_runs_as_pid_1_in_a_root_holding_only_the_agent(self):
        """As in the image FROM scratch: no libraries, no /etc, /proc mounted, the agent PID 1, SIGTERM ends it."""
        self.server.add("n1", "10.0.0.1")
        root = tempfile.mkdtemp(prefix="agent-root-", dir=os.path.dirname(os.path.abspath(AGENT)))
        self.addCleanup(shutil.rmtree, root)
        os.link(AGENT, os.path.join(root, "swift-cni-node"))
        os.mkdir(os.path.join(root, "proc"))
        shutil.copy(self.kubeconfig(), os.path.join(root, "kubeconfig"))
        for name in ("ca.crt", "token"):
            shutil.copy(os.path.join(self.work, name), os.path.join(root, name))
        agent = Agent([shutil.which("unshare"), "--mount", "--pid", "--fork", "--kill-child",
                       "--mount-proc=" + os.path.join(root, "proc"), shutil.which("chroot"), root,
                       "/swift-cni-node", "run", "--kubeconfig", "/kubeconfig", "--peers-dir", "/peers"], command=True)
        self.agents.append(agent)
        nodes = os.path.join(root, "peers", "nodes")
        wait_for(lambda: os.path.exists(nodes) and open(nodes).read() == "10.0.0.1\n", what="the peers file in the root:\n" + agent.log())
        self.server.add("n2", "10.0.0.2")
        wait_for(lambda: open(nodes).read() == "10.0.0.1\n10.0.0.2\n", what="the second node")
        # unshare blocks SIGTERM while it waits: signal its child, the agent (PID 1 inside).
        with open("/proc/%d/task/%d/children" % (agent.process.pid, agent.process.pid)) as f:
            os.kill(int(f.read().split()[0]), signal.SIGTERM)
        self.assertEqual(agent.process.wait(10), 0)
        agent.wait_log("SIGTERM: stopping")
        self.assertEqual(os.listdir(os.path.join(root, "proc")), [])

    def test_bad_flags_and_kubeconfig_fail_at_once(self):
        bad = os.path.join(self.work, "bad")
        with open(bad, "w") as f:
            f.write("clusters: [")
        agent = Agent(["run", "--kubeconfig", bad, "--peers-dir", self.peers])
        self.agents.append(agent)
        self.assertEqual(agent.process.wait(10), 1)
        self.assertIn("is not a kubeconfig", agent.log())
        agent = Agent(["run", "--peers-dir", self.peers], env={})
        self.agents.append(agent)
        self.assertEqual(agent.process.wait(10), 1)
        self.assertIn("give --kubeconfig", agent.log())


if __name__ == "__main__":
    unittest.main()

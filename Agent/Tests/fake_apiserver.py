"""A stand-in for the Kubernetes API's core/v1 Node list and watch, over HTTPS, for the agent's tests.

It speaks the protocol as documented (https://kubernetes.io/docs/reference/using-api/api-concepts/):
- GET /api/v1/nodes: a NodeList with metadata.resourceVersion; `limit` and `continue` paging (the
  server cuts pages at `page_size` too, as it may); `labelSelector` (=, ==, !=, exists, !exists).
- GET /api/v1/nodes?watch=1&resourceVersion=RV: HTTP/1.1 chunked stream, one JSON event per line,
  the events after RV (ADDED/MODIFIED/DELETED, with a label selector the ADDED/DELETED of objects
  entering/leaving it), BOOKMARK events every `bookmark_interval` when allowWatchBookmarks=true,
  ended after timeoutSeconds. RV older than the compaction point: 410 Gone, as the HTTP status or,
  with `gone_as_event`, as a 200 stream holding one ERROR event with a Status of code 410.
- No valid bearer token and no client certificate signed by the CA: 401 with a Status.
Every request is recorded (`requests`) so a test can see what the agent asked.
"""
import copy
import http.server
import json
import socket
import ssl
import threading
import time
import urllib.parse


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def parse_selector(text):
    terms = []
    for term in filter(None, (t.strip() for t in (text or "").split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1); terms.append(("!=", key, value))
        elif "==" in term:
            key, value = term.split("==", 1); terms.append(("=", key, value))
        elif "=" in term:
            key, value = term.split("=", 1); terms.append(("=", key, value))
        elif term.startswith("!"):
            terms.append(("!", term[1:], None))
        else:
            terms.append(("exists", term, None))
    return terms


def matches(terms, node):
    if node is None:
        return False
    labels = node["metadata"].get("labels", {})
    for op, key, value in terms:
        if op == "=" and labels.get(key) != value: return False
        if op == "!=" and labels.get(key) == value: return False
        if op == "exists" and key not in labels: return False
        if op == "!" and key in labels: return False
    return True


class FakeAPIServer:
    def __init__(self, cert, key, ca, token, host="127.0.0.1"):
        self.token = token
        self.lock = threading.Condition()
        self.rv = 100
        self.nodes = {}              # name -> Node object
        self.history = []            # (rv, type, before, after)
        self.compacted = 0           # watches from an rv below this get 410
        self.gone_as_event = False
        self.page_size = 1000
        self.bookmark_interval = 0.5
        self.fail_next = []          # HTTP codes to answer the next requests with
        self.requests = []           # (path, query dict, authorized)
        self.watch_sockets = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.load_verify_locations(ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        handler = self._handler()
        self.httpd = http.server.ThreadingHTTPServer((host, 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.httpd is None:
            return
        self.drop_watches()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd = None

    # --- what tests change -------------------------------------------------------------------
    def _record(self, kind, before, after):
        self.rv += 1
        if after is not None:
            after["metadata"]["resourceVersion"] = str(self.rv)
        self.history.append((self.rv, kind, before, copy.deepcopy(after) if after else None))
        self.lock.notify_all()

    def add(self, name, ip, labels=None):
        with self.lock:
            node = {"kind": "Node", "apiVersion": "v1",
                    "metadata": {"name": name, "labels": dict(labels or {}), "uid": "uid-" + name},
                    "status": {"addresses": ([{"type": "InternalIP", "address": ip}] if ip else []) +
                               [{"type": "Hostname", "address": name}]}}
            self.nodes[name] = node
            self._record("ADDED", None, node)

    def modify(self, name, ip=None, labels=None):
        with self.lock:
            before = copy.deepcopy(self.nodes[name])
            node = self.nodes[name]
            if labels is not None:
                node["metadata"]["labels"] = dict(labels)
            if ip is not None:
                node["status"]["addresses"][0] = {"type": "InternalIP", "address": ip}
            self._record("MODIFIED", before, node)

    def delete(self, name):
        with self.lock:
            before = self.nodes.pop(name)
            self.history.append((self.rv + 1, "DELETED", before, None))
            self.rv += 1
            self.lock.notify_all()

    def compact(self):
        """Forgets the history: a watch from any resourceVersion seen so far gets 410 Gone."""
        with self.lock:
            self.compacted = self.rv + 1
            self.history = []

    def drop_watches(self):
        """Cuts every open watch connection, without ending the chunked stream."""
        with self.lock:
            sockets, self.watch_sockets = self.watch_sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def watches(self):
        return [q for path, q, ok in self.requests if ok and q.get("watch") == "1"]

    def lists(self):
        return [q for path, q, ok in self.requests if ok and q.get("watch") != "1"]

    # --- the protocol ---------------------------------------------------------------------------
    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send_json(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def authorized(self):
                if self.headers.get("Authorization") == "Bearer " + server.token:
                    return True
                cert = self.connection.getpeercert()
                return bool(cert) and dict(x[0] for x in cert["subject"]).get("commonName") == "system:node:agent"

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                ok = self.authorized()
                with server.lock:
                    server.requests.append((url.path, query, ok))
                    failure = server.fail_next.pop(0) if ok and server.fail_next else None
                if not ok:
                    return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
                if failure:
                    return self.send_json(failure, status(failure, "InternalError", "injected failure"))
                if url.path != "/api/v1/nodes":
                    return self.send_json(404, status(404, "NotFound", "not found"))
                terms = parse_selector(query.get("labelSelector"))
                if query.get("watch") in ("1", "true"):
                    return self.watch(query, terms)
                return self.list(query, terms)

            def list(self, query, terms):
                limit = min(int(query.get("limit", "1000")), server.page_size)
                with server.lock:
                    if "continue" in query:
                        rv, start = query["continue"].split(":")
                        if int(rv) < server.compacted:
                            return self.send_json(410, status(410, "Expired", "the continue token is too old"))
                        snapshot = server.snapshots[rv]
                    else:
                        rv, start = str(server.rv), "0"
                        snapshot = [copy.deepcopy(n) for _, n in sorted(server.nodes.items()) if matches(terms, n)]
                        server.snapshots = getattr(server, "snapshots", {})
                        server.snapshots[rv] = snapshot
                start = int(start)
                items = snapshot[start:start + limit]
                meta = {"resourceVersion": rv}
                if start + limit < len(snapshot):
                    meta["continue"] = "%s:%d" % (rv, start + limit)
                self.send_json(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": meta, "items": items})

            def chunk(self, event):
                data = (json.dumps(event) + "\n").encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def watch(self, query, terms):
                since = int(query.get("resourceVersion") or "0")
                deadline = time.time() + int(query.get("timeoutSeconds", "1800"))
                bookmarks = query.get("allowWatchBookmarks") == "true"
                with server.lock:
                    expired = since < server.compacted
                if expired and not server.gone_as_event:
                    return self.send_json(410, status(410, "Expired", "too old resource version: %d (%d)" % (since, server.compacted)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with server.lock:
                    server.watch_sockets.append(self.connection)
                try:
                    if expired:
                        self.chunk({"type": "ERROR", "object": status(410, "Expired", "too old resource version")})
                    else:
                        self.stream(since, deadline, terms, bookmarks)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (OSError, ValueError):
                    pass
                finally:
                    with server.lock:
                        if self.connection in server.watch_sockets:
                            server.watch_sockets.remove(self.connection)
                    self.close_connection = True

            def stream(self, since, deadline, terms, bookmarks):
                sent, last_bookmark = since, time.time()
                while time.time() < deadline:
                    with server.lock:
                        if self.connection not in server.watch_sockets:
                            raise OSError("dropped")
                        pending = [h for h in server.history if h[0] > sent]
                        if not pending:
                            server.lock.wait(0.1)
                            pending = [h for h in server.history if h[0] > sent]
                        current = server.rv
                    for rv, kind, before, after in pending:
                        was, now = matches(terms, before), matches(terms, after)
                        if kind == "DELETED":
                            kind = "DELETED" if was else None
                            obj = copy.deepcopy(before)
                            if obj: obj["metadata"]["resourceVersion"] = str(rv)
                        else:
                            kind = {(False, True): "ADDED", (True, True): kind if kind == "MODIFIED" else "ADDED",
                                    (True, False): "DELETED"}.get((was, now))
                            obj = after
                        if kind:
                            self.chunk({"type": kind, "object": obj})
                        sent = rv
                    if bookmarks and time.time() - last_bookmark >= server.bookmark_interval:
                        sent = max(sent, current)
                        self.chunk({"type": "BOOKMARK", "object": {"kind": "Node", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": str(sent)}}})
                        last_bookmark = time.time()

        return Handler

"""Round 26: the webhook capture server (stands in for moxhooks). Listens on 127.0.0.1:2991 inside
the namespace r26w, stores every POST body verbatim as /opt/r26w/cap/<seq>.json (with its
headers in <seq>.hdr) and answers 200."""
import http.server, os, itertools, time
n = itertools.count(len(os.listdir("/opt/r26w/cap")) // 2 + 1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        i = next(n)
        with open(f"/opt/r26w/cap/{i:05d}.json", "wb") as f:
            f.write(body)
        with open(f"/opt/r26w/cap/{i:05d}.hdr", "w") as f:
            f.write(f"{time.time()}\n{self.path}\n{self.headers}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 2991), H).serve_forever()

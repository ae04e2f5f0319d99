"""A stand-in for the example API on 127.0.0.1, to run the quick start offline.

Serves /v1/courses and /v1/users in pages of two items linked by "next", to requests that send
the bearer key "example-key". Run it with `python example_api.py [port]` (port 8765 by default).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_KEY = "example-key"
PAGE_SIZE = 2
ROWS = {
    "courses": [{"id": i, "title": f"Course {i}"} for i in (1, 2, 3)],
    "users": [
        {"id": i, "name": f"user{i}", "enrollments": [{"course_id": 1 + i % 3}]}
        for i in range(1, 6)
    ],
}


class ExampleApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        endpoint = url.path.removeprefix("/v1/")
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self.answer(401, {"error": "invalid API key"})
        if endpoint not in ROWS:
            return self.answer(404, {"error": f"no endpoint {url.path}"})
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        rows = ROWS[endpoint]
        host, port = self.server.server_address[:2]
        more = page * PAGE_SIZE < len(rows)
        self.answer(
            200,
            {
                "items": rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
                "next": f"http://{host}:{port}/v1/{endpoint}?page={page + 1}" if more else None,
            },
        )

    def answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    server = ThreadingHTTPServer(("127.0.0.1", port), ExampleApi)
    print(f"example API on http://127.0.0.1:{port}/v1", flush=True)
    server.serve_forever()

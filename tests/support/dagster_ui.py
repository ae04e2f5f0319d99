"""A real ``dagster-webserver`` spoken to over GraphQL, and headless Chromium over the DevTools
protocol (stdlib only): the demo's UI tests and ``docs/images/take_screenshot.py`` share them."""

import base64
import contextlib
import gzip
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
LOCATION = "dagster_dlt_demo"
REPOSITORY = "__repository__"
GROUPS = ("gharchive", "github", "reports", "shop")
DAY = "2024-01-02"
RUN_TIMEOUT_SECONDS = 180.0
INSTALL_CHROMIUM = (
    "Headless Chromium is needed for the browser check of the demo. Install it, e.g. "
    "`apt-get update && apt-get install -y chromium` (CI's .ci/run does), or point "
    "$CHROMIUM at a Chromium or Chrome binary."
)

# Dagster's default run coordinator queues runs for the daemon; the webserver alone launches them
# itself with this one. No telemetry either: the tests stay offline.
_DAGSTER_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""

_TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


# The webserver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def readme_env(workdir: Path) -> dict[str, str]:
    """The environment of the README's commands: no Dagster home, no demo setting, no secret.

    Only dlt's state (its pipelines, under ``~/.dlt`` by default) is moved into workdir, out of the
    user's home; everything else is where the README's commands put it by default.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAGSTER_", "SOURCES__")) and k != "PYTHONPATH"
    }
    env.update(DLT_DATA_DIR=str(workdir / "dlt_data"), RUNTIME__DLTHUB_TELEMETRY="false")
    return env


def copy_of_the_repository(destination: Path) -> Path:
    """The files git sees in the working tree (tracked, and untracked but not ignored), copied.

    A checkout in which to run the README's commands from its root, as a new user does, without
    touching this one; ``git init`` in it then shows what they leave behind.
    """
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # not a tracked file deleted in the working tree
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def git(cwd: Path, *args: str) -> str:
    if shutil.which("git") is None:
        raise RuntimeError("git is needed to copy the repository's files: install git")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def webserver_env(workdir: Path) -> dict[str, str]:
    """The environment of a webserver whose instance, dlt state and DuckDB file live in workdir."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(_DAGSTER_YAML)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SOURCES__"))}
    env.update(
        DAGSTER_HOME=str(home),
        DAGSTER_DLT_DEMO_DUCKDB=str(workdir / "demo.duckdb"),
        DLT_DATA_DIR=str(workdir / "dlt_data"),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    return env


class DagsterWebserver:
    """``dagster-webserver -w workspace.yaml`` on 127.0.0.1, started from the repository root
    (or ``cwd``, a copy of it).

    Use it as a context manager; leaving it stops the server and every process it started.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        port: Optional[int] = None,
        cwd: Path = REPO,
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = dict(env)
        self._log_path = log_path
        self._cwd = cwd
        self._process: Optional[subprocess.Popen[bytes]] = None

    def __enter__(self) -> "DagsterWebserver":
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml"),
                    *("-h", "127.0.0.1", "-p", str(self.port)),
                ],
                cwd=self._cwd,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: stopping it reaches the code server and run workers too.
                start_new_session=True,
            )
        try:
            self._wait_until_ready(timeout=120)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        error: Optional[BaseException],
        trace: Optional[TracebackType],
    ) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        else:
            raise TimeoutError(
                f"dagster-webserver did not answer in {timeout:g} s:\n{self.log_tail()}"
            )
        self._wait_for_location(deadline)

    def _wait_for_location(self, deadline: float) -> None:
        query = """{ workspaceOrError { ... on Workspace { locationEntries {
            name loadStatus locationOrLoadError { __typename ... on PythonError { message } }
        } } } }"""
        while True:
            entries = self.graphql(query)["workspaceOrError"]["locationEntries"]
            entry = next((e for e in entries if e["name"] == LOCATION), None)
            if entry is not None and entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"] or {}
                if loaded.get("__typename") == "PythonError":
                    raise RuntimeError(f"code location {LOCATION} failed: {loaded['message']}")
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"code location {LOCATION} did not load:\n{self.log_tail()}")
            time.sleep(0.5)

    def graphql(self, query: str, variables: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
        """POST a query to ``/graphql``; its ``data``, or an error naming GraphQL's errors."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            result = json.load(answer)
        if result.get("errors"):
            raise AssertionError(f"GraphQL errors: {result['errors']}")
        return result["data"]

    def launch_run(self, job: str, tags: Mapping[str, str]) -> str:
        """Launch ``job`` of the demo as the UI's Materialize button does; returns the run id."""
        mutation = """mutation Launch($params: ExecutionParams!) {
            launchRun(executionParams: $params) {
                __typename
                ... on LaunchRunSuccess { run { runId } }
                ... on PythonError { message }
                ... on InvalidSubsetError { message }
                ... on RunConfigValidationInvalid { errors { message } }
            }
        }"""
        params = {
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": REPOSITORY,
                "jobName": job,
            },
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        launched = self.graphql(mutation, {"params": params})["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise AssertionError(f"could not launch {job}: {launched}")
        return launched["run"]["runId"]

    def wait_for_run(self, run_id: str, timeout: float = RUN_TIMEOUT_SECONDS) -> str:
        """Poll the run until it ends; its final status."""
        query = "query Run($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.graphql(query, {"id": run_id})["runOrError"]["status"]
            if status in _TERMINAL:
                return status
            time.sleep(1)
        raise TimeoutError(f"run {run_id} did not finish in {timeout:g} s")

    def run_failure(self, run_id: str) -> str:
        """The error messages of a run's failed steps, for assertion messages."""
        query = """query Logs($id: ID!) { logsForRun(runId: $id) {
            ... on EventConnection { events { __typename
                ... on ExecutionStepFailureEvent { stepKey error { message causes { message } } } } } } }"""
        events = self.graphql(query, {"id": run_id})["logsForRun"]["events"]
        return "\n".join(
            f"{e['stepKey']}: {e['error']['message']} "
            + " ".join(cause["message"] for cause in e["error"]["causes"])
            for e in events
            if e["__typename"] == "ExecutionStepFailureEvent"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        # Whatever the server started and left behind (a code server, a run worker).
        _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


# Headless Chromium


def chromium_binary() -> Optional[str]:
    """``$CHROMIUM``, or the first Chromium or Chrome on the PATH."""
    candidates = [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]
    return next((shutil.which(c) for c in candidates if c and shutil.which(c)), None)


class HeadlessChromium:
    """Headless Chromium driven over the DevTools protocol through a pipe (stdlib only).

    ``--remote-debugging-pipe`` makes Chromium read commands from fd 3 and answer on fd 4, each
    message a JSON object ended by a NUL byte: no port, no websocket library.
    """

    def __init__(self, binary: str, width: int = 1600, height: int = 1000):
        self.width, self.height = width, height
        self._profile = tempfile.mkdtemp(prefix="dagster-dlt-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        # A Python trampoline puts the pipe ends on fds 3 and 4 (by way of fds out of their way),
        # then becomes Chromium.
        trampoline = (
            "import fcntl, os, sys; "
            "r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]); "
            "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self._process = subprocess.Popen(
            [
                *(sys.executable, "-c", trampoline),
                *(str(to_browser_read), str(from_browser_write), binary, *args),
            ],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self._session: Optional[str] = None

    def __enter__(self) -> "HeadlessChromium":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._process.poll() is None:
            _signal_group(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)

    def command(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one DevTools command (to the open page, once there is one); its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session and not method.startswith("Target."):
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"Chromium refused {method}: {answer['error']}")
                return answer.get("result", {})

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            readable, _, _ = select.select([self._from_browser], [], [], left)
            if readable:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium exited")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, local_storage: Optional[Mapping[str, Any]] = None) -> None:
        """Open ``url`` in a page of the window's size, with ``local_storage`` set beforehand."""
        target = self.command("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.command("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.command("Page.enable")
        self.resize(self.width, self.height)
        if local_storage:
            script = "".join(
                f"localStorage.setItem({json.dumps(k)}, {json.dumps(json.dumps(v))});"
                for k, v in local_storage.items()
            )
            self.command("Page.addScriptToEvaluateOnNewDocument", source=script)
        self.command("Page.navigate", url=url)

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.command(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def evaluate(self, expression: str) -> Any:
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for_text(self, texts: Sequence[str], timeout: float = 60.0) -> set[str]:
        """Wait until the page's HTML holds every text; those still missing at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            html = self.evaluate("document.documentElement.outerHTML") or ""
            missing = {text for text in texts if text not in html}
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.5)

    def screenshot(self, path: Path) -> None:
        data = self.command("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


# The lineage page

# Dagster draws nodes as truncated names only below a zoom of 0.6 (MINIMAL_SCALE in its UI).
_DETAILED_ZOOM = 0.62
_FIT_MARGIN = 0.97

# The graph's <svg> has the layout's size; its on-screen size gives the zoom.
_GRAPH_GEOMETRY = """(() => {
  const svgs = [...document.querySelectorAll('svg[width][height]')]
    .filter((s) => +s.getAttribute('width') > 200 && +s.getAttribute('height') > 200);
  if (!svgs.length) return null;
  const svg = svgs.sort((a, b) => b.getAttribute('width') * b.getAttribute('height')
    - a.getAttribute('width') * a.getAttribute('height'))[0];
  const viewport = svg.parentElement.parentElement.getBoundingClientRect();
  const graph = svg.getBoundingClientRect();
  return {width: +svg.getAttribute('width'), height: +svg.getAttribute('height'),
          scale: graph.width / +svg.getAttribute('width'),
          graph: [graph.x, graph.y, graph.width, graph.height],
          viewport: [viewport.x, viewport.y, viewport.width, viewport.height]};
})()"""


def lineage_url(base_url: str, groups: Sequence[str] = GROUPS) -> str:
    """The global asset lineage page with every group expanded (Dagster collapses them)."""
    ids = [f"global@global:{g}" for g in groups]
    # The id of a group when Dagster's per-code-location grouping flag is on.
    ids += [f"{REPOSITORY}@{LOCATION}:{g}" for g in groups]
    return f"{base_url}/asset-groups?expanded={','.join(ids)}"


# Set before the page loads: no "Join the Dagster community" dialog, compact nodes. The dialog is
# Dagster's first-run pop-up (CommunityNux in the webserver's bundle): shown on 127.0.0.1 and
# localhost over the page until dismissed, which the browser keeps as localStorage "communityNux"
# (the instance too, through the setNuxSeen mutation; shouldShowNux tells).
LINEAGE_LOCAL_STORAGE = {
    "communityNux": "1",
    "asset-node-facets": ["status", "kind-tag"],
}


_DIALOGS = "[...document.querySelectorAll('[role=dialog]')].map((d) => d.innerText.slice(0, 200))"


def take_lineage_screenshot(
    base_url: str, path: Path, asset_names: Sequence[str], width: int = 1600, height: int = 1000
) -> None:
    """Screenshot the whole lineage graph with readable nodes.

    Dagster fits the graph's width; this zooms out until its height fits too, but not below the
    zoom where nodes lose their names, making the page taller than ``height`` if need be.
    """
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError(INSTALL_CHROMIUM)
    with HeadlessChromium(binary, width, height) as browser:
        browser.open(lineage_url(base_url), LINEAGE_LOCAL_STORAGE)
        missing = browser.wait_for_text(asset_names)
        if missing:
            raise RuntimeError(f"the lineage page never showed {sorted(missing)}")
        geometry = _settled_geometry(browser)
        _, top, _, view_height = geometry["viewport"]
        needed = geometry["height"] * _DETAILED_ZOOM / _FIT_MARGIN
        if needed > view_height:
            browser.resize(width, round(top + needed + (height - top - view_height)))
            geometry = _settled_geometry(browser)
        x, y, view_width, view_height = geometry["viewport"]
        fit = min(view_width / geometry["width"], view_height / geometry["height"]) * _FIT_MARGIN
        target = max(fit, _DETAILED_ZOOM)
        center = {"x": x + view_width / 2, "y": y + view_height / 2}
        browser.command("Input.dispatchMouseEvent", type="mouseMoved", **center)
        if target < geometry["scale"]:
            # Ctrl + wheel zooms around the pointer; Dagster scales by (1 - deltaY * 0.002).
            _wheel(browser, center, 0, (1 - target / geometry["scale"]) / 0.002, ctrl=True)
            geometry = _settled_geometry(browser)
        # A plain wheel pans by 0.7 * delta: move the graph's middle to the viewport's.
        left, top_edge, graph_width, graph_height = geometry["graph"]
        _wheel(
            browser,
            center,
            (left + graph_width / 2 - center["x"]) / 0.7,
            (top_edge + graph_height / 2 - center["y"]) / 0.7,
        )
        _settled_geometry(browser)
        # Out of the graph, so that no tooltip shows.
        browser.command("Input.dispatchMouseEvent", type="mouseMoved", x=0, y=0)
        # By now the first-run pop-up would be up (it opens after a second): none may cover it.
        dialogs = browser.evaluate(_DIALOGS)
        if dialogs:
            raise RuntimeError(
                f"a dialog covers the lineage page (did Dagster rename its dismissal key, "
                f"LINEAGE_LOCAL_STORAGE?): {dialogs}"
            )
        # Nodes fetch their status on their own once drawn: wait for the last one.
        deadline = time.monotonic() + 30
        while (
            "Loading" in browser.evaluate("document.body.innerText") and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        time.sleep(0.5)
        browser.screenshot(path)


def _wheel(
    browser: "HeadlessChromium", at: dict[str, float], dx: float, dy: float, ctrl: bool = False
) -> None:
    browser.command(
        "Input.dispatchMouseEvent",
        type="mouseWheel",
        deltaX=dx,
        deltaY=dy,
        modifiers=2 if ctrl else 0,
        **at,
    )


def _settled_geometry(browser: HeadlessChromium, timeout: float = 30.0) -> dict[str, Any]:
    """The graph's geometry once it has stopped changing (layout and first zoom are async)."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        geometry = browser.evaluate(_GRAPH_GEOMETRY)
        if geometry is not None and geometry == previous:
            return geometry
        previous = geometry
        time.sleep(1)
    raise RuntimeError("the lineage graph did not settle")


# The tests


def event_tables() -> list[str]:
    from dagster_dlt_demo.settings import DEMO_EVENT_TYPES
    from dlt_sources.gharchive import event_table_name

    return [event_table_name(kind) for kind in DEMO_EVENT_TYPES]


def sample_events(day: str) -> list[dict[str, Any]]:
    from dlt_sources.gharchive import SAMPLE_DIR, hour_file_name, hour_range

    events = []
    for hour in hour_range(day):
        with gzip.open(Path(SAMPLE_DIR) / hour_file_name(hour), "rt") as lines:
            events.extend(json.loads(line) for line in lines if line.strip())
    return events


def asset_nodes(server: DagsterWebserver, fields: str) -> dict[str, dict[str, Any]]:
    nodes = server.graphql(f"{{ assetNodes {{ assetKey {{ path }} {fields} }} }}")["assetNodes"]
    return {"/".join(node["assetKey"]["path"]): node for node in nodes}

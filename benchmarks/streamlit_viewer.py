"""A Streamlit viewer without a browser: what a browser tab says to a Streamlit server, spoken from Python.

A :class:`Viewer` does what Streamlit's frontend (1.67, ``frontend/app/src/App.tsx`` and its connection
manager) does with a page, so the server sees a live tab and does the same work for it:

1. It loads the page (``index.html``, which sets the ``_streamlit_xsrf`` cookie), asks ``/_stcore/health`` and
   ``/_stcore/host-config``, then opens ``ws://HOST/_stcore/stream`` with the subprotocols ``streamlit`` and
   the XSRF token, sending the cookie, as the browser does.
2. It asks for the page with ``BackMsg.rerun_script`` (query string, page name, context info) and reads
   ``ForwardMsg`` s until ``script_finished``.
3. It keeps every widget's value from the deltas and sends all of them with each later rerun; a button press
   adds the button's ``trigger_value``.
4. For each ``AutoRerun`` (``st.fragment(run_every=...)``) it starts a timer that sends, every ``interval``
   seconds, ``rerun_script`` with the fragment's id and ``is_auto_rerun``; a full run's ``NewSession`` and
   ``StopAutoRerun`` clear the timers (``handleAutoRerun``: a ``setInterval`` that does not wait for the
   previous rerun to finish).
5. It caches the deltas the server marks cacheable, lists their hashes in ``cached_message_hashes`` and
   resolves ``ref_hash`` messages from that cache; entries older than the server's ``max_cached_message_age``
   script runs expire as in the frontend's ``ForwardMsgCache``.

It records what a person would notice: the time to a rendered page (page load to the first successful
``script_finished``), each timed fragment rerun's round trip, exceptions drawn on the page and disconnects,
and the texts the page shows (to check that a load test is not measuring an empty page).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED_OK = {
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
TEXT_KINDS = ("markdown", "heading", "text", "alert", "progress", "metric")


@dataclass
class ViewerStats:
    """What one viewer saw. Times in seconds."""

    page_s: list[float] = field(default_factory=list)
    """Page load to the first successful ``script_finished`` of a full run, once per :meth:`Viewer.open`."""
    fragment_s: list[float] = field(default_factory=list)
    """Timed fragment rerun: the oldest unanswered request to its ``script_finished``."""
    fragment_runs: int = 0
    full_runs: int = 0
    deltas: int = 0
    bytes_in: int = 0
    errors: list[str] = field(default_factory=list)
    """Exceptions drawn on the page, failed script runs, disconnects and failed requests, as sentences."""
    unknown_widgets: set[str] = field(default_factory=set)
    finished: Counter[str] = field(default_factory=Counter)
    """``script_finished`` statuses received, by name."""
    requests: int = 0
    """Rerun requests sent."""


def _http_get(url: str, cookie: str = "") -> tuple[int, str, bytes]:
    """GET ``url``; (status, Set-Cookie header value of the XSRF cookie or "", body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        xsrf = ""
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = SimpleCookie()
            parsed.load(header)
            if XSRF_COOKIE in parsed:
                xsrf = parsed[XSRF_COOKIE].value
        return response.status, xsrf, response.read()


def widget_state(element: Any) -> WidgetState | None:
    """The state the frontend sends for a widget element as drawn (its set value, else its default);
    None for elements without a state (buttons until pressed, charts, text). Raises KeyError for a widget
    kind this viewer does not know, naming it."""
    kind = element.WhichOneof("type")
    if kind in ("button", "download_button", "link_button", "page_link", "plotly_chart") or kind not in _WIDGETS:
        return None
    proto = getattr(element, kind)
    state = WidgetState(id=proto.id)
    _WIDGETS[kind](proto, state)
    return state


def _checkbox(proto: Any, state: WidgetState) -> None:
    state.bool_value = proto.value if proto.set_value else proto.default


def _number(proto: Any, state: WidgetState) -> None:
    value = proto.value if proto.set_value else proto.default
    if proto.data_type == NumberInput.DataType.INT:
        state.int_value = int(value)
    else:
        state.double_value = value


def _text(proto: Any, state: WidgetState) -> None:
    state.string_value = proto.value if proto.set_value else proto.default


def _choice(proto: Any, state: WidgetState) -> None:
    if proto.set_value or proto.HasField("raw_value"):
        state.string_value = proto.raw_value
    elif proto.HasField("default") and 0 <= proto.default < len(proto.options):
        state.string_value = proto.options[proto.default]


def _unknown(proto: Any, state: WidgetState) -> None:
    raise KeyError(type(proto).__name__)


_WIDGETS = {
    "checkbox": _checkbox,
    "number_input": _number,
    "text_input": _text,
    "text_area": _text,
    "selectbox": _choice,
    "radio": _choice,
    "slider": _unknown,
    "multiselect": _unknown,
    "button_group": _unknown,
    "date_input": _unknown,
    "time_input": _unknown,
    "color_picker": _unknown,
    "file_uploader": _unknown,
    "chat_input": _unknown,
    "camera_input": _unknown,
    "audio_input": _unknown,
}


class Viewer:
    """One browser tab on one page of a Streamlit app (see the module's docstring for what it emulates).

    ``base`` is the server's URL (``http://127.0.0.1:PORT``), ``page`` the page's URL path (``train``) and
    ``query`` its query string (``run=ID``)."""

    def __init__(self, base: str, page: str, query: str = "") -> None:
        self.base, self.page, self.query = base.rstrip("/"), page, query
        self.stats = ViewerStats()
        self.paused = False
        """While True the tab's timer asks for no reruns (a tab left open that nobody looks at)."""
        self.texts: deque[str] = deque(maxlen=500)
        """The latest texts drawn (markdown, headings, alerts, progress lines), since the last full run began."""
        self.buttons: dict[str, str] = {}
        """Label to widget id of the buttons drawn."""
        self._ws: Any = None
        self._widgets: dict[str, WidgetState] = {}
        self._cache: dict[str, list[Any]] = {}  # hash -> [message, script run count, fragment id]
        self._runs_counted = 0
        self._max_age = 2
        self._page_hash = ""
        self._fragments_this_run: list[str] = []
        self._new_session_since_request = False
        self._timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self._waiting_fragment: float | None = None
        self._opened_at: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._finished = asyncio.Event()
        self._closing = False

    async def open(self, timeout: float = 60.0) -> float:
        """Load the page as a browser does; the seconds until it was drawn. Raises TimeoutError."""
        self._opened_at = time.perf_counter()
        url = f"{self.base}/{self.page}" + (f"?{self.query}" if self.query else "")
        _, xsrf, _ = await asyncio.to_thread(_http_get, url)
        cookie = f"{XSRF_COOKIE}={xsrf}" if xsrf else ""
        for path in ("_stcore/health", "_stcore/host-config"):
            await asyncio.to_thread(_http_get, f"{self.base}/{path}", cookie)
        headers = {"Origin": self.base, **({"Cookie": cookie} if cookie else {})}
        self._ws = await websockets.connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
            additional_headers=headers,
            max_size=None,
            compression=None,
        )
        self._reader = asyncio.create_task(self._read())
        self._finished.clear()
        await self._send_rerun(first=True)
        await asyncio.wait_for(self._finished.wait(), timeout)
        return self.stats.page_s[-1]

    async def press(self, label: str, timeout: float = 120.0) -> None:
        """Press the button labelled ``label`` and wait for the run it starts to finish."""
        if label not in self.buttons:
            raise KeyError(f"no button {label!r} on the page (buttons: {sorted(self.buttons)})")
        self._finished.clear()
        await self._send_rerun(trigger=self.buttons[label])
        await asyncio.wait_for(self._finished.wait(), timeout)

    async def close(self) -> None:
        """Close the tab."""
        self._closing = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _send_rerun(self, first: bool = False, trigger: str = "", fragment: str = "") -> None:
        back = BackMsg()
        rerun = back.rerun_script
        rerun.query_string = self.query
        rerun.widget_states.SetInParent()
        if first:
            rerun.page_name = self.page
        else:
            rerun.widget_states.widgets.extend(self._widgets.values())
            rerun.page_script_hash = self._page_hash
        if trigger:
            rerun.widget_states.widgets.append(WidgetState(id=trigger, trigger_value=True))
        if fragment:
            rerun.fragment_id = fragment
            rerun.is_auto_rerun = True
        rerun.cached_message_hashes.extend(self._cache)
        info = rerun.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = f"{self.base}/{self.page}", False, "light"
        self._new_session_since_request = False
        self.stats.requests += 1
        await self._ws.send(back.SerializeToString())

    async def _tick(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self.paused:  # the tab stays open and asks for nothing
                self._waiting_fragment = None  # a rerun asked for before the pause is not timed across it
                continue
            if self._waiting_fragment is None:
                self._waiting_fragment = time.perf_counter()
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._send_rerun(fragment=fragment)

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                self.stats.bytes_in += len(data)
                message = ForwardMsg()
                message.ParseFromString(data)
                self._handle(message)
            ended = "the server closed the connection"
        except websockets.ConnectionClosed as closed:
            ended = f"the connection broke ({closed})"
        finally:
            for _, task in self._timers.values():
                task.cancel()
        if not self._closing:
            self.stats.errors.append(ended)

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "ref_hash":
            cached = self._cache.get(message.ref_hash)
            if cached is None:
                self.stats.errors.append(f"the server referred to a message this tab never cached ({message.ref_hash})")
                return
            cached[1] = self._runs_counted
            message, kind = cached[0], "delta"
        if kind == "new_session":
            self._new_session(message)
        elif kind == "delta":
            self._delta(message)
        elif kind == "auto_rerun":
            fragment, interval = message.auto_rerun.fragment_id, message.auto_rerun.interval
            if fragment and self._timers.get(fragment, (None,))[0] != interval:
                self._stop_timer(fragment)
                self._timers[fragment] = (interval, asyncio.create_task(self._tick(fragment, interval)))
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment)
        elif kind == "navigation":
            self._page_hash = message.navigation.page_script_hash or self._page_hash
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "script_finished":
            self._script_finished(message)

    def _new_session(self, message: ForwardMsg) -> None:
        session = message.new_session
        if session.config.max_cached_message_age:
            self._max_age = session.config.max_cached_message_age
        self._new_session_since_request = True
        self._fragments_this_run = list(message.metadata.run.fragment_ids)
        if not self._fragments_this_run:
            for fragment in list(self._timers):
                self._stop_timer(fragment)
            self._widgets.clear()
            self.buttons.clear()
            self.texts.clear()

    def _delta(self, message: ForwardMsg) -> None:
        self.stats.deltas += 1
        if message.metadata.cacheable and message.hash:
            if message.hash in self._cache:
                self._cache[message.hash][1] = self._runs_counted
            else:
                self._cache[message.hash] = [message, self._runs_counted, message.delta.fragment_id]
        if message.delta.WhichOneof("type") != "new_element":
            return
        element = message.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.stats.errors.append(
                f"the page shows an exception: {element.exception.type}: {element.exception.message}"
            )
        elif kind == "button":
            self.buttons[element.button.label] = element.button.id
        elif kind in TEXT_KINDS:
            proto = getattr(element, kind)
            self.texts.append(getattr(proto, "body", "") or getattr(proto, "text", "") or getattr(proto, "label", ""))
        try:
            state = widget_state(element)
        except KeyError as unknown:
            self.stats.unknown_widgets.add(str(unknown))
            return
        if state is not None:
            self._widgets[state.id] = state

    def _script_finished(self, message: ForwardMsg) -> None:
        status = message.script_finished
        now = time.perf_counter()
        self.stats.finished[ForwardMsg.ScriptFinishedStatus.Name(status)] += 1
        if status == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
            return
        fragments = list(message.metadata.run.fragment_ids)
        if self._new_session_since_request:  # the frontend ages its cache only then
            self._expire_cache(fragments)
        if status not in FINISHED_OK:
            self.stats.errors.append(f"a script run ended with {ForwardMsg.ScriptFinishedStatus.Name(status)}")
        if fragments:
            self.stats.fragment_runs += 1
            if self._waiting_fragment is not None:
                self.stats.fragment_s.append(now - self._waiting_fragment)
                self._waiting_fragment = None
            return
        self.stats.full_runs += 1
        if self._opened_at is not None:
            self.stats.page_s.append(now - self._opened_at)
            self._opened_at = None
        self._finished.set()

    def _expire_cache(self, fragments: list[str]) -> None:
        self._runs_counted += 1
        for key, (_, counted, fragment) in list(self._cache.items()):
            if fragments and fragment not in fragments:
                continue
            if self._runs_counted - counted > self._max_age:
                del self._cache[key]

    def _stop_timer(self, fragment: str) -> None:
        entry = self._timers.pop(fragment, None)
        if entry is not None:
            entry[1].cancel()

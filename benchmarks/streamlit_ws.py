"""A Streamlit session spoken over the websocket, without a browser (the load driver's).

It does what the frontend does, in Streamlit's own protocol (``streamlit.proto``): connect
to ``ws://HOST:PORT/_stcore/stream`` (subprotocol ``streamlit``; no Origin header, so no
XSRF token is needed: the app signs in with its own form, not ``st.login``), send a
``BackMsg`` ``rerun_script`` with a ``ClientState`` (query string, page script hash, the
widget states) and read ``ForwardMsg``s until ``script_finished``. A run that ends early
for a rerun (``st.rerun()``, e.g. after signing in) is followed to the run that finishes.

What a run drew is kept as a flat list of elements (``Element`` protos) with the widgets
found by type and label, so a caller can fill a form (text inputs and the form's submit
button in one ``rerun_script``, as the frontend does) or pick a selectbox option by its
shown text. Widget values are kept per session like the frontend's widget manager, and
pruned to the widgets the last run drew.

Cookies can be sent with the handshake (``Session(base, cookies={...})``), which is where
Streamlit reads ``st.context.cookies`` from; ``Run.components()`` lists the arguments of the
custom components a run drew (the re-login cookie's ``CookieManager`` ``set`` among them).

Not done (a browser does them; the load driver does not need them): answering custom
components (the ``CookieManager`` never answers, so no cookie is stored), forward
message caching (no ``cached_message_hashes`` are sent, so every message comes in full),
media and file downloads over HTTP.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

if TYPE_CHECKING:  # websockets is imported on first connection
    from websockets.asyncio.client import ClientConnection

FINISHED = ForwardMsg.ScriptFinishedStatus
DATABASE_MESSAGE = "The database cannot be reached"
MAX_MESSAGES = 100_000  # per run: a run that never finishes still ends
WIDGETS = {"button", "text_input", "selectbox", "multiselect", "radio", "checkbox",
           "date_input", "number_input", "slider", "text_area", "toggle",
           "button_group", "segmented_control", "download_button"}


class ProtocolError(RuntimeError):
    """The server closed the connection or sent something a run cannot end with."""


@dataclass
class Page:
    name: str
    url_pathname: str
    script_hash: str


@dataclass
class Run:
    """What one run (or one run and the reruns it asked for) drew."""

    seconds: float = 0.0
    status: str = ""
    elements: list = field(default_factory=list)  # Element protos, in arrival order
    pages: list[Page] = field(default_factory=list)
    page_hash: str = ""
    page_not_found: bool = False
    messages: int = 0
    bytes: int = 0

    def of_type(self, kind: str) -> list:
        return [e for e in self.elements if e.WhichOneof("type") == kind]

    def widget(self, kind: str, label: str):
        """The first widget of ``kind`` whose label is ``label`` (None if not drawn)."""
        for element in self.of_type(kind):
            if getattr(element, kind).label == label:
                return getattr(element, kind)
        return None

    def components(self) -> list[dict]:
        """The JSON arguments of every custom component drawn, in order."""
        import json

        return [json.loads(e.component_instance.json_args or "{}")
                for e in self.of_type("component_instance")]

    def metrics(self) -> dict[str, str]:
        """KPI cards drawn: label -> shown value."""
        return {e.metric.label: e.metric.body for e in self.of_type("metric")}

    def problems(self) -> list[str]:
        """Why this run counts as an error (an empty list when it does not)."""
        found = []
        for element in self.of_type("exception"):
            found.append(f"exception {element.exception.type}: "
                         f"{element.exception.message[:120]}")
        for element in self.of_type("alert"):
            if DATABASE_MESSAGE in element.alert.body:
                found.append("database message")
        if self.page_not_found:
            found.append("page not found")
        if self.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
            found.append(f"run ended {self.status or 'without script_finished'}")
        return found


class Session:
    """One Streamlit session on one websocket (``async with Session(base) as s``)."""

    def __init__(self, base: str, timeout: float = 60.0,
                 cookies: dict[str, str] | None = None) -> None:
        self.url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.timeout = timeout
        # Sent with the handshake, as a browser sends its cookies (st.context.cookies).
        self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} \
            if cookies else None
        self.states: dict[str, WidgetState] = {}
        self.page_hash = ""
        self.pages: list[Page] = []
        self._socket: ClientConnection | None = None

    async def __aenter__(self) -> Session:
        from websockets.asyncio.client import connect
        from websockets.typing import Subprotocol

        self._socket = await asyncio.wait_for(
            connect(self.url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                    open_timeout=self.timeout, additional_headers=self.headers),
            self.timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()

    def _open(self) -> ClientConnection:
        if self._socket is None:
            raise ProtocolError("the session is not connected (use `async with Session(...)`)")
        return self._socket

    # --- widget values ------------------------------------------------------------------

    def set_text(self, widget, value: str) -> None:
        self._state(widget.id).string_value = value

    def choose(self, widget, shown: str) -> None:
        """A selectbox or radio option, by the text it shows."""
        if shown not in widget.options:
            raise ValueError(f"{shown!r} is not an option of {widget.label!r}")
        self._state(widget.id).string_value = shown

    def choose_many(self, widget, shown: list[str]) -> None:
        """Multiselect options, by the text they show (an empty list clears it)."""
        state = self._state(widget.id)
        state.string_array_value.SetInParent()
        del state.string_array_value.data[:]
        state.string_array_value.data.extend(shown)

    def _state(self, widget_id: str) -> WidgetState:
        state = WidgetState(id=widget_id)
        self.states[widget_id] = state
        return state

    # --- runs ---------------------------------------------------------------------------

    async def run(self, *, page: Page | None = None, click=None,
                  query_string: str = "") -> Run:
        """Rerun the script (on ``page``, or the current page), clicking ``click`` (a
        button, form submit buttons included) and sending the widget values set since;
        timed from the send until the run finished."""
        message = BackMsg()
        client = message.rerun_script
        client.query_string = query_string
        if page is not None:
            client.page_script_hash = page.script_hash
            client.page_name = page.url_pathname
        else:
            client.page_script_hash = self.page_hash
        states = list(self.states.values())
        if click is not None:
            states.append(WidgetState(id=click.id, trigger_value=True))
        client.widget_states.widgets.extend(states)
        started = time.monotonic()
        await self._open().send(message.SerializeToString())
        run = await asyncio.wait_for(self._read_run(), self.timeout)
        run.seconds = time.monotonic() - started
        drawn = {getattr(e, e.WhichOneof("type")).id for e in run.elements
                 if e.WhichOneof("type") in WIDGETS}
        self.states = {k: v for k, v in self.states.items() if k in drawn}
        return run

    async def _read_run(self) -> Run:
        from websockets.exceptions import ConnectionClosed

        run = Run()
        while run.messages < MAX_MESSAGES:
            try:
                raw = await self._open().recv()
            except ConnectionClosed as exc:
                raise ProtocolError(f"connection closed: {exc}") from exc
            run.messages += 1
            run.bytes += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # a run starts: what an earlier run drew is gone
                run.elements.clear()
                run.page_not_found = False
                if msg.new_session.page_script_hash:
                    self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                run.elements.append(msg.delta.new_element)
            elif kind == "navigation":
                self.pages = [Page(p.page_name, p.url_pathname, p.page_script_hash)
                              for p in msg.navigation.app_pages]
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "script_finished":
                run.status = FINISHED.Name(msg.script_finished)
                if msg.script_finished != FINISHED.FINISHED_EARLY_FOR_RERUN:
                    break
        run.pages, run.page_hash = list(self.pages), self.page_hash
        return run

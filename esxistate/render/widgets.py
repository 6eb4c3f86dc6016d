"""ipywidgets for a live host: a Dashboard, a Timeline that replays the history, a Shell and a Quiz.

Every widget reads snapshots and events; actions call the engine's public API (host.fs.write, host.backup(), ...),
and an engine error is shown as a message in the widget, never a traceback. Widgets are plain ipywidgets
containers, so a test drives them as a browser would: set `.value`, call `.click()`, read the children.

Where no kernel runs the notebook, each widget shows its still instead (`still.Still`): a static picture of what it
showed when it was displayed, with its diagram as a PNG.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from esxistate.sizes import readable as _size

from .. import Host, Vib, bootdevice
from ..boundary import printable
from ..errors import EsxiStateError, InternalError, InvalidValue
from ..events import Event
from ..facts import annotate_html
from . import graph, motion, svg
from .html import event_diagram
from .palette import CONSOLE, CONSOLE_TEXT, MESSAGE_ERROR, MESSAGE_INFO, MESSAGE_WHY
from .still import Still, diagram_picture, text_of

__all__ = ["Dashboard", "Quiz", "Shell", "Timeline", "diagram_html"]

SAMPLE_VIB = Vib.build(
    "lab-motd",
    "1.0-1",
    {"/etc/motd": "Welcome to the esxistate lab: this /etc/motd comes from the lab-motd VIB.\n"},
    overlay=True,
    summary="a sample overlay VIB that replaces /etc/motd",
)


def diagram_html(diagram: Any) -> str:
    """The diagram as inline SVG (or the readable table when no layout program is installed)."""
    bundle = svg.display_bundle(diagram, png=False)
    if "image/svg+xml" in bundle:
        return f'<div class="esxi-diagram" style="max-width:100%;overflow:auto">{bundle["image/svg+xml"]}</div>'
    return bundle.get("text/html", f"<pre>{html.escape(bundle.get('text/plain', ''))}</pre>")


def _is_dir(host: Host, path: str) -> bool:
    """A directory, or a link to one; a dangling link (/bootbank of a lost boot device, F47) is listed as a name."""
    try:
        return host.fs.stat(path).is_dir
    except EsxiStateError:
        return False


def _message(text: str, kind: str = "info") -> str:
    colour = {"info": MESSAGE_INFO, "error": MESSAGE_ERROR, "why": MESSAGE_WHY}[kind]
    return f'<div style="color:{colour};white-space:pre-wrap">{html.escape(printable(text))}</div>'


def _error_text(err: Exception, what: str) -> str:
    """The sentence a widget shows for an error: the engine's own for an EsxiStateError; for anything else (a bug in
    the widget), InternalError's, which says so."""
    return str(err) if isinstance(err, EsxiStateError) else str(InternalError(what, err))


class Dashboard(Still, W.VBox):
    """The whole host at a glance: layer diagram, file browser and editor, ramdisk use, boot banks, clock, actions.

    Every action goes through the engine and then refreshes every panel; an engine error is shown in `message`.
    """

    def __init__(self, host: Host, path: str = "/etc/hosts") -> None:
        self.host = host
        self.header = W.HTML()
        self.diagram = W.HTML()
        self.drawn: graph.Diagram | None = None  # the diagram now in `diagram`, for the still's PNG
        self.path = W.Text(value=path, continuous_update=False, layout=W.Layout(width="460px"))
        self.browser = W.Select(options=[], rows=7, layout=W.Layout(width="460px"))
        self.content = W.Textarea(rows=6, layout=W.Layout(width="460px"))
        self.ramdisks = W.VBox()
        self.banks = W.HTML()
        self.message = W.HTML()
        self.buttons: dict[str, W.Button] = {}
        actions: list[tuple[str, str, Callable[[], Any]]] = [
            ("save", "Save file", self._save),
            ("why", "Why?", self._why),
            ("install", "Install sample VIB", lambda: host.install_vib(SAMPLE_VIB)),
            ("remove", "Remove sample VIB", lambda: host.remove_vib(SAMPLE_VIB.name)),
            ("backup", "auto-backup.sh", host.backup),
            ("hour", "+1 hour", lambda: host.advance(hours=1)),
            ("reboot", "Reboot", host.reboot),
            ("power_loss", "Power loss", host.power_loss),
            ("boot", "Power on", host.boot),
            # boot-device faults and their fix (F47)
            ("slow_boot", "Power on, slow boot device", lambda: host.boot(slow_boot_device=True)),
            ("lose_device", "Lose boot device", host.lose_boot_device),
            ("restore_bootbanks", "localcli restore --bootbanks", host.restore_bootbanks),
        ]
        for key, label, action in actions:
            button = W.Button(description=label, layout=W.Layout(width="auto"))
            button.on_click(lambda _b, act=action, k=key: self._run(k, act))
            self.buttons[key] = button
        self.path.observe(lambda change: self._refresh_safely(), "value")
        self.browser.observe(self._browse, "value")
        files = W.VBox(
            [
                W.HTML("<b>Files</b> (pick one; edit it below and press Save file)"),
                self.path,
                self.browser,
                self.content,
            ]
        )
        side = W.VBox(
            [W.HTML("<b>Ramdisks</b> (used of capacity)"), self.ramdisks, W.HTML("<b>Boot banks</b>"), self.banks],
            layout=W.Layout(margin="0 0 0 24px"),
        )
        super().__init__(
            [
                self.header,
                W.HBox(list(self.buttons.values()), layout=W.Layout(flex_flow="row wrap")),
                self.message,
                W.HBox([files, side]),
                self.diagram,
            ]
        )
        self.refresh()

    # -- actions --------------------------------------------------------------------------------------------------

    def _run(self, key: str, action: Callable[[], Any]) -> None:
        before = len(self.host.history)
        try:
            result = action()
        except Exception as err:  # the widget's edge: the error's sentence, never a traceback
            self._refresh_safely()
            self.message.value = _message(_error_text(err, key), "error")
            return
        self._refresh_safely()
        if key == "why":
            return
        new = self.host.history[before:]
        if new:
            last = new[-1]
            self.message.value = _message(f"{last.summary}\n{last.why}")
        elif result is not None:
            self.message.value = _message(str(result))

    def _save(self) -> None:
        self.host.fs.write(self.path.value, self.content.value)

    def _why(self) -> None:
        self.message.value = _message(str(self.host.explain(self.path.value)), "why")

    def _browse(self, change: dict) -> None:
        choice = change["new"]
        if not choice:
            return
        current = self._directory()
        target = posixpath.normpath(posixpath.join(current, choice.rstrip("/")))
        self.path.value = target if not choice.endswith("/") else target.rstrip("/") + "/"

    def _directory(self) -> str:
        p = self.path.value
        if p.endswith("/"):
            return p.rstrip("/") or "/"
        return posixpath.dirname(p) or "/"

    # -- panels ---------------------------------------------------------------------------------------------------

    def _refresh_safely(self) -> None:
        """`refresh` from an observer or a button: an error is shown in `message`, never raised out of the widget."""
        try:
            self.refresh()
        except Exception as err:
            self.message.value = _message(_error_text(err, "redraw the dashboard"), "error")

    def refresh(self) -> None:
        """Redraw every panel from the host as it is now."""
        h = self.host
        power = "running" if h.powered_on else "powered off"
        self.header.value = (
            f"<h3 style='margin:4px 0'>ESXi {h.version} host <code>{html.escape(h.hostname)}</code> · {power} · "
            f"{h.clock:%Y-%m-%d %H:%M} · {html.escape(bootdevice.describe(h))}</h3>"
        )
        self.buttons["boot"].disabled = self.buttons["slow_boot"].disabled = h.powered_on
        for key in ("save", "why", "install", "remove", "backup", "reboot", "power_loss", "lose_device"):
            self.buttons[key].disabled = not h.powered_on
        self.buttons["restore_bootbanks"].disabled = h.boot_device == bootdevice.OK
        self.banks.value = self._banks_html()
        if not h.powered_on:
            self.drawn = None
            self.diagram.value = _message("The host is powered off: the ramdisks are gone. Press Power on.")
            self.ramdisks.children = ()
            self.browser.options = []
            self.content.value = ""
            return
        path = self.path.value
        file_path = None if path.endswith("/") else path
        try:
            self.drawn = graph.layer_stack(h.snapshot(), file_path or self._directory())
        except EsxiStateError as err:  # a path the engine refuses (relative, unstorable): say why, draw the stack
            self.message.value = _message(str(err), "error")
            self.drawn = graph.layer_stack(h.snapshot())
        self.diagram.value = diagram_html(self.drawn)
        self.ramdisks.children = tuple(
            self._ramdisk_bar(r) for r in h.ramdisks if r.name in ("root", "etc", "var", "tmp", "opt")
        )
        directory = self._directory()
        try:
            names = h.fs.listdir(directory)
            entries = [n + "/" if _is_dir(h, posixpath.join(directory, n)) else n for n in names]
        except EsxiStateError:
            entries = []
        self.browser.unobserve(self._browse, "value")
        self.browser.options = ["../", *entries]
        self.browser.value = None
        self.browser.observe(self._browse, "value")
        try:
            self.content.value = h.fs.read_text(file_path) if file_path else ""
        except EsxiStateError as err:
            self.content.value = ""
            self.message.value = _message(str(err), "error")

    def still_caption(self) -> str:
        return f"Dashboard: {text_of(self.header.value)}; file {self.path.value}"

    def still_pictures(self) -> dict[int, str]:
        return {id(self.diagram): diagram_picture(self.drawn)} if self.drawn is not None else {}

    def _ramdisk_bar(self, rd: Any) -> W.HBox:
        bar = W.FloatProgress(value=rd.used, min=0, max=max(rd.capacity, 1), layout=W.Layout(width="140px"))
        label = W.HTML(f"<code>{rd.name:<5}</code> {_size(rd.used)} of {_size(rd.capacity)} ({rd.mount})")
        return W.HBox([bar, label])

    def _banks_html(self) -> str:
        rows = []
        h = self.host
        for bank in h.banks:
            state = bank.state.name if bank.state is not None else ("empty" if not bank.files else "no boot.cfg")
            mark = " ← booted" if h.powered_on and h.bootbank is bank else ""
            if mark and h.boot_device != bootdevice.OK:  # the loader read it, but /bootbank does not lead to it (F47)
                mark += " (not mounted: /bootbank -> /tmp)" if h.boot_device == bootdevice.SLOW else " (device lost)"
            rows.append(
                f"<tr><td>{bank.label}</td><td>{html.escape(bank.build or '-')}</td><td>{bank.updated}</td>"
                f"<td>{state}</td><td>{mark}</td></tr>"
            )
        head = "<tr><th>bank</th><th>build</th><th>updated</th><th>bootstate</th><th></th></tr>"
        return f"<table style='font-size:90%'>{head}{''.join(rows)}</table>"


class Timeline(Still, W.VBox):
    """Replay `host.history` frame by frame: a Play and a slider (linked), previous/next, the caption, the scene that
    animates the event (a branching write, the clock strip of backups, the boot banks' bootstate, a power cut; see
    `motion`) and the diagram that fits it.

    `slider.value` is the event's index in the history; the position beside the slider counts from 1, as the
    caption does ("3 / 17"). Frames are rendered once and cached, so scrubbing back is instant. The history is read
    when the timeline is made; call `reload()` to pick up later events.

    Play waits `motion.SCENE_MS` on each frame (the longest motion of any scene), or `interval_ms` when that is
    longer, so a scene always finishes before the next frame replaces it.
    """

    def __init__(self, host_or_events: Host | list[Event], *, interval_ms: int | None = None) -> None:
        if interval_ms is not None and (
            isinstance(interval_ms, bool) or not isinstance(interval_ms, int) or interval_ms < 0
        ):
            raise InvalidValue("interval_ms", interval_ms, "give the milliseconds between frames, a whole number")
        self._events: list[Event] = []
        self._cache: dict[int, str] = {}
        self._source = host_or_events
        interval = max(interval_ms or 0, motion.SCENE_MS)  # a scene always finishes before the next frame
        self.play = W.Play(min=0, max=0, step=1, interval=interval)
        self.slider = W.IntSlider(min=0, max=0, description="event", continuous_update=True, readout=False)
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.position = W.HTML(layout=W.Layout(width="auto", margin="0 8px"))
        self.prev = W.Button(description="◀ previous", layout=W.Layout(width="auto"))
        self.next = W.Button(description="next ▶", layout=W.Layout(width="auto"))
        self.prev.on_click(lambda _b: self._step(-1))
        self.next.on_click(lambda _b: self._step(1))
        self.caption = W.HTML()
        self.diagram = W.HTML()
        self.slider.observe(lambda change: self.show(change["new"]), "value")
        self.play.observe(lambda change: setattr(self.slider, "value", change["new"]), "value")
        super().__init__(
            [W.HBox([self.play, self.slider, self.position, self.prev, self.next]), self.caption, self.diagram]
        )
        self.reload()

    def reload(self) -> None:
        src = self._source
        self._events = list(src.history if isinstance(src, Host) else src)
        self._cache.clear()
        last = max(len(self._events) - 1, 0)
        self.play.max = self.slider.max = last
        self.show(self.slider.value)

    @property
    def events(self) -> list[Event]:
        return list(self._events)

    def _step(self, delta: int) -> None:
        self.slider.value = min(max(self.slider.value + delta, 0), self.slider.max)

    def frame(self, index: int) -> str:
        """The scene and diagram of event `index` (rendered once, then served from the cache)."""
        cached = self._cache.get(index)
        if cached is None:
            scene = motion.scene(self._events, index)
            style = f"<style>{motion.STYLE}</style>" if scene else ""
            cached = style + scene + diagram_html(event_diagram(self._events, index))
            self._cache[index] = cached
        return cached

    def show(self, index: int) -> None:
        if not self._events:
            self.caption.value = _message("No events yet: boot the host first.")
            self.position.value = "0 / 0"
            self.diagram.value = ""
            return
        index = min(max(index, 0), len(self._events) - 1)
        event = self._events[index]
        count = len(self._events)
        self.position.value = f"<b>{index + 1} / {count}</b>"
        try:
            frame = self.frame(index)
        except Exception as err:  # the widget's edge: show why the frame cannot be drawn
            frame = _message(_error_text(err, "draw this frame"), "error")
        self.caption.value = (
            f"<b>{index + 1}/{count} · {event.time:%Y-%m-%d %H:%M} · {html.escape(event.kind)}</b>"
            f"<br>{html.escape(printable(event.summary))}<br><i>Why: {annotate_html(html.escape(event.why))}</i>"
        )
        self.diagram.value = frame

    def still_caption(self) -> str:
        return f"Timeline: {text_of(self.caption.value)}"

    def still_pictures(self) -> dict[int, str]:
        if not self._events:
            return {}
        diagram = event_diagram(self._events, min(max(self.slider.value, 0), len(self._events) - 1))
        return {id(self.diagram): diagram_picture(diagram)}


class Shell(Still, W.VBox):
    """A terminal-like shell on the host: a prompt, an input line (Enter runs it), the transcript and a history."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.output = W.HTML(layout=W.Layout(max_height="360px", overflow="auto"))
        self.prompt = W.HTML()
        self.line = W.Text(
            placeholder="type a command, e.g. vdf -h", continuous_update=False, layout=W.Layout(width="520px")
        )
        self.run_button = W.Button(description="Run", layout=W.Layout(width="auto"))
        self.history = W.Dropdown(options=[], description="history", layout=W.Layout(width="320px"))
        self.transcript = ""
        self.line.observe(lambda change: self.run(change["new"]) if change["new"] else None, "value")
        self.run_button.on_click(lambda _b: self.run(self.line.value))
        self.history.observe(self._recall, "value")
        super().__init__([self.output, W.HBox([self.prompt, self.line, self.run_button]), self.history])
        self._show()

    def _prompt_text(self) -> str:
        shell = self.host._shell
        return shell.prompt if shell is not None else f"[root@{self.host.hostname}:~] "

    def run(self, command: str) -> str:
        """Run `command` as if typed at the prompt; returns its output."""
        prompt = self._prompt_text()
        try:
            out = self.host.shell(command)
        except Exception as err:  # the widget's edge: a line, never a traceback
            out = f"sh: {_error_text(err, 'run a command')}\n"
        self.transcript += f"{prompt}{command}\n{out}"
        if command.strip():
            self.history.unobserve(self._recall, "value")
            self.history.options = [*[o for o in self.history.options if o != command], command]
            self.history.value = None
            self.history.observe(self._recall, "value")
        self.line.value = ""
        self._show()
        return out

    def _recall(self, change: dict) -> None:
        if change["new"]:
            self.line.unobserve_all("value")
            self.line.value = change["new"]
            self.line.observe(lambda c: self.run(c["new"]) if c["new"] else None, "value")

    def still_caption(self) -> str:
        return f"Shell on {self.host.hostname}: {text_of(self.output.value)}"

    def _show(self) -> None:
        self.prompt.value = f"<code>{html.escape(self._prompt_text())}</code>"
        self.output.value = (
            f"<pre style='background:{CONSOLE};color:{CONSOLE_TEXT};padding:6px;margin:0;white-space:pre-wrap'>"
            f"{html.escape(self.transcript) or 'ESXi Shell (simulated). Try: ls -l /etc, vdf -h, help'}</pre>"
        )


class Quiz(Still, W.VBox):
    """A seeded exercise: the question, an answer box (or choices), Check, and feedback that explains why."""

    def __init__(self, seed: int = 0, kind: str | None = None) -> None:
        from .. import exercises

        self._generate = exercises.generate
        self.seed = seed
        self.kind = kind
        self.question = W.HTML()
        self.answer = W.Text(placeholder="your answer", layout=W.Layout(width="420px"))
        self.choices = W.RadioButtons(options=[], layout=W.Layout(width="auto"))
        self.check = W.Button(description="Check", button_style="primary")
        self.new = W.Button(description="New question")
        self.feedback = W.HTML()
        self.check.on_click(lambda _b: self._check())
        self.new.on_click(lambda _b: self.load(self.seed + 1))
        super().__init__([self.question, self.choices, self.answer, W.HBox([self.check, self.new]), self.feedback])
        self.load(seed)

    def load(self, seed: int) -> None:
        self.seed = seed
        self.exercise = self._generate(seed, self.kind)
        ex = self.exercise
        options = list(getattr(ex, "options", ()) or ())
        self.question.value = (
            f"<b>Exercise {seed} ({html.escape(ex.kind)})</b><pre style='white-space:pre-wrap'>"
            f"{html.escape(_without_listed_options(ex.question, options))}</pre>"
        )
        self.choices.options = [str(o) for o in options]
        self.choices.value = None
        self.choices.layout.display = "" if options else "none"
        self.answer.layout.display = "none" if options else ""
        self.answer.value = ""
        self.feedback.value = ""

    def still_caption(self) -> str:
        return f"Quiz: {text_of(self.question.value)}"

    def _check(self) -> None:
        given = self.choices.value if self.choices.options else self.answer.value
        if given in (None, ""):
            self.feedback.value = _message("Give an answer first.", "error")
            return
        try:
            result = self.exercise.check(given)
        except Exception as err:  # the widget's edge
            self.feedback.value = _message(_error_text(err, "check the answer"), "error")
            return
        if not result.marked:  # an answer the exercise cannot read is not marked wrong: say what it expects
            self.feedback.value = _message(result.explanation, "why")
            return
        head = "Correct." if result.correct else "Not quite."
        colour = MESSAGE_INFO if result.correct else MESSAGE_ERROR
        self.feedback.value = (
            f'<div style="white-space:pre-wrap"><b style="color:{colour}">{head}</b> '
            f"{html.escape(result.explanation)}</div>"
        )


def _without_listed_options(question: str, options: list[str]) -> str:
    """The question without its trailing "  A) ..." lines: the radio buttons below show the same choices."""
    lines = question.splitlines()
    listed = [f"  {chr(ord('A') + i)}) {text}" for i, text in enumerate(options)]
    if options and lines[-len(options) :] == listed:
        return "\n".join(lines[: -len(options)])
    return question

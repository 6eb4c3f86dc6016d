"""Offline lessons: a host's history as ONE self-contained HTML file with a small player.

`es.export.html(host.history, "lesson.html", title="...")` writes a title frame named after the story, one frame
per event and a closing frame on the file the story changed. Each event frame carries its caption (what happened,
when, and why, with the facts on hover), the scene that animates it (`motion`: a branching write, the clock strip of
backups, the boot banks' bootstate, a power cut) and the diagram that fits it (the layer stack, the backup flow, the
boot banks or the boot flow) at its native size with zoom. Each distinct scene and diagram is stored once, however
many frames show it, and in parts, so the parts two pictures share are stored once too (`_Pictures`). The player is
a few dozen lines of plain JavaScript: buttons, a slider numbered like the caption, and the keys Left/Right, Home/End
and +/-/0 for zoom. Nothing is loaded from the network, so the file opens from a USB stick or an e-mail attachment in
any browser (ipywidgets' own HTML embedding loads its JavaScript from a CDN and shows nothing offline).
"""

from __future__ import annotations

import html as _html
import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..boundary import printable
from ..errors import EsxiStateError, InvalidPath, InvalidValue, LayoutFailed
from ..events import Event, HostSnapshot
from ..explain import explain
from ..facts import annotate_html
from ..layers import is_twin
from . import graph, motion, svg
from .palette import PAGE, PAGE_BAR, PAGE_HEADER, PAGE_KEY_LINE, PAGE_LINE, PAGE_TEXT, PAPER, WHY_TEXT

__all__ = ["Frame", "changed_file", "event_diagram", "event_frame", "frames", "html", "render", "story_title"]

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
_BANK_KINDS = ("bootloader", "upgrade", "relayout", "staging", "shutdown", "power-loss")


def _inline_svg(markup: str) -> str:
    """SVG ready to sit inside HTML5: no XML prologue, no namespace URLs (HTML5 does not need them)."""
    return _NAMESPACES.sub("", _XML_PROLOGUE.sub("", markup)).strip()


def _native(diagram: Any) -> str:
    """The diagram as inline SVG at its own size (the player zooms it), or its table when it cannot be laid out."""
    markup, _laid_out = _native_of(diagram)
    return markup


def _native_of(diagram: Any) -> tuple[str, bool]:
    """`_native`, and whether the diagram was laid out (a table stands in for one that was not)."""
    try:
        markup = svg.to_svg(diagram.source)
    except (LayoutFailed, OSError, subprocess.SubprocessError) as err:
        return svg.html_table(diagram, f"{err} (shown as a table instead)"), False
    if markup is None:
        return svg.html_table(diagram), False
    return _inline_svg(markup), True


class _Made:
    """Scenes and diagram markup already made for a story, so exporting it again, or with more events, makes only
    what is new.

    Events are immutable values, so the same event objects always give the same pictures: a run of events is known
    by the objects it holds (`tokens`: one number per prefix of the story, the objects held here so no other object
    takes their place). A diagram depends on the story up to its event (the previous snapshot, the file this boot's
    story is about), so it is kept by its prefix; a scene sees the whole story (the clock strip spans it), so it is
    kept by the story and its index. Bounded: past LIMIT entries or BUDGET bytes of markup, everything is forgotten
    and made again. Forgotten too whenever the laid-out pictures are (`svg.on_clear`)."""

    LIMIT = 50_000
    BUDGET = 64 * 2**20

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._prefixes: dict[tuple[int, int], tuple[int, Event]] = {}
        self._markup: dict[str, str] = {}  # one string per distinct diagram, however many prefixes show it
        self.diagrams: dict[int, str] = {}  # prefix token -> diagram markup
        self.scenes: dict[tuple[int, int], str] = {}  # (story token, index) -> scene
        self._bytes = 0  # markup held: each distinct diagram once, every scene

    def tokens(self, events: Sequence[Event]) -> list[int]:
        entries = len(self._prefixes) + len(self.diagrams) + len(self.scenes) + 3 * len(events)
        if entries > self.LIMIT or self._bytes > self.BUDGET:
            self.clear()
        out, token = [], 0
        for event in events:
            key = (token, id(event))
            known = self._prefixes.get(key)
            if known is None or known[1] is not event:
                known = self._prefixes[key] = (len(self._prefixes) + 1, event)
            token = known[0]
            out.append(token)
        return out

    def diagram(self, events: Sequence[Event], index: int, token: int) -> str:
        markup = self.diagrams.get(token)
        if markup is None:
            markup, laid_out = _native_of(event_diagram(events, index))
            if laid_out:  # a table stands in for a failed layout: try again next time
                if markup not in self._markup:
                    self._bytes += len(markup)
                markup = self.diagrams[token] = self._markup.setdefault(markup, markup)
        return markup

    def scene(self, events: Sequence[Event], index: int, story: int) -> str:
        made = self.scenes.get((story, index))
        if made is None:
            made = self.scenes[(story, index)] = motion.scene(events, index)
            self._bytes += len(made)
        return made


_MADE = _Made()
svg.on_clear(_MADE.clear)


def event_diagram(events: Sequence[Event], index: int) -> Any:
    """The diagram that fits event `index`: the backup flow of a backup, the boot banks when the host is off or a
    bank's bootstate moved, the boot flow of the modules being loaded, else the layer stack centred on the file the
    event touched."""
    event = events[index]
    snap = event.snapshot
    before = events[index - 1].snapshot if index else None
    result = event.details.get("result")
    if snap.powered_on and result is not None and event.kind in ("backup", "backup-skipped"):
        return graph.backup_flow(snap, result)
    if not snap.powered_on or event.kind in _BANK_KINDS or motion.bank_moves(before, snap):
        return graph.bootbanks(snap)
    if event.kind == "vmkernel":
        return graph.boot_flow(snap)
    path = next((p for p in event.paths if snap.exists(p)), None)
    if path is None:  # a clock tick, a hostd change: keep the file this boot's story is about in view
        since = next((i for i in range(index, -1, -1) if events[i].kind == "bootloader"), 0)
        found = changed_file(events[since : index + 1])
        path = found[0] if found and snap.exists(found[0]) else "/"
    return graph.layer_stack(snap, path)


def event_frame(event: Event, events: Sequence[Event] | None = None, index: int | None = None) -> str:
    """The picture of one event (HTML, no network): its scene, when it has one, above its diagram. Without the
    story around it (`events`, `index`), the event alone: no clock strip, no bootstate move."""
    story = list(events) if events is not None else [event]
    at = index if index is not None else story.index(event)
    return motion.scene(story, at) + f'<div class="esm-diagram">{_native(event_diagram(story, at))}</div>'


@dataclass(frozen=True, slots=True)
class Frame:
    """One step of the player: its caption (head line, summary, why as HTML), its scene and its diagram's markup."""

    head: str
    summary: str
    why: str
    scene: str
    diagram: str
    kind: str


def changed_file(events: Sequence[Event]) -> tuple[str, int] | None:
    """The file the story changed, and the index of the event that last wrote it: the last path a write, branch or
    delete touched (never a `.#` twin)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if "change" in event.details:
            for path in event.paths:
                if not is_twin(path):
                    return path, index
    return None


def _text_of(snap: HostSnapshot, path: str) -> str | None:
    try:
        return snap.read_text(path)
    except EsxiStateError:
        return None


def _excerpt(text: str | None, lines: int = 8) -> str:
    if text is None:
        return "<i>(no such file)</i>"
    rows = text.splitlines()
    more = f"\n… {len(rows) - lines} more lines" if len(rows) > lines else ""
    return f"<pre>{_html.escape(chr(10).join(rows[:lines]) + more)}</pre>"


_CHAPTERS = (  # event kind -> how a title names it, in the order the story first reaches it
    ("bootloader", "a boot"),
    ("branch", "an edit"),
    ("write", "an edit"),
    ("delete", "an edit"),
    ("configure", "a hostd change"),
    ("backup", "a backup"),
    ("power-loss", "a power cut"),
    ("vib-install", "a VIB"),
    ("vib-remove", "a VIB removed"),
    ("upgrade", "an upgrade"),
)


def story_title(events: Sequence[Event]) -> str:
    """A title named after what the story does, from its events: "ESXi 6.7: a boot, an edit, a backup and a power
    cut"; Shift+R when a boot rolled back."""
    if not events:
        return "esxistate lesson"
    words = dict(_CHAPTERS)
    said: list[str] = []
    for e in events:
        word = "Shift+R" if e.kind == "bootloader" and e.details.get("rolled_back") else words.get(e.kind)
        if word and word not in said:
            said.append(word)
    head = f"ESXi {events[0].snapshot.version}"
    if not said:
        return head
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    return f"{head}: {listed}"


def _title_frame(events: Sequence[Event], title: str) -> Frame:
    first, last = events[0], events[-1]
    snap = first.snapshot
    moments = []
    for i, e in enumerate(events):
        if e.kind in ("vmkernel", "tardisks", "ramdisks", "restore"):
            continue  # the steps of a boot: its first frame stands for them
        moments.append(
            f'<li><button class="go" data-go="{i + 2}">{i + 2}</button> {e.time:%H:%M} '
            f"<b>{_html.escape(e.kind)}</b>: {_html.escape(e.summary)}</li>"
        )
    body = (
        f'<div class="titleframe"><h2>{_html.escape(title)}</h2>'
        f"<p>A simulated ESXi {_html.escape(snap.version)} host, <code>{_html.escape(snap.hostname)}</code>: "
        f"{len(events)} events from {first.time:%Y-%m-%d %H:%M} to {last.time:%Y-%m-%d %H:%M}, each replayed from "
        "the host's own history with the reason it happened and the ESXi facts behind it.</p>"
        "<p>Step with <kbd>→</kbd> and <kbd>←</kbd>, jump with <kbd>Home</kbd> and <kbd>End</kbd>, zoom a diagram "
        "with <kbd>+</kbd> <kbd>−</kbd> <kbd>0</kbd>.</p>"
        f'<h3>What happens</h3><ol class="moments">{"".join(moments)}</ol></div>'
    )
    head = f"{first.time:%Y-%m-%d %H:%M} · the story"
    return Frame(head, f"{title}: ESXi {snap.version}, {len(events)} events", "", body, "", "title")


def _closing_frame(events: Sequence[Event]) -> Frame | None:
    """The file the story changed, as the host holds it at the end: where it comes from, what would happen to it,
    and whether the story's last write to it is still there (a power cut may have taken it back to state.tgz)."""
    found = changed_file(events)
    index = next((i for i in range(len(events) - 1, -1, -1) if events[i].snapshot.powered_on), None)
    if found is None or index is None:
        return None
    path, wrote = found
    snap: HostSnapshot = events[index].snapshot
    ex = explain(snap, path, events[: index + 1])
    moment = "at the end of the story" if index == len(events) - 1 else f"at {snap.clock:%H:%M}, the last moment it ran"
    written, now = _text_of(events[wrote].snapshot, path), _text_of(snap, path)
    if events[wrote].kind == "delete":
        verdict = "deleted by the story" + (", and it is back now" if now is not None else ", and still gone")
    elif written == now:
        verdict = "holds what the story last wrote into it"
    else:
        verdict = "no longer holds what the story last wrote into it"
    rows = [
        ("where it comes from", str(ex.where)),
        (".# twin", ex.twin or "none"),
        ("in state.tgz", {True: "yes", False: "no", None: "unknown"}[ex.in_state]),
        ("after a reboot", str(ex.on_reboot)),
        ("after a power cut", str(ex.on_power_loss)),
        ("at the next cron run", str(ex.at_next_cron)),
    ]
    table = "".join(f"<tr><th>{_html.escape(k)}</th><td>{annotate_html(_html.escape(v))}</td></tr>" for k, v in rows)
    scene = (
        f'<div class="focus"><h2>The file this story changed: <code>{_html.escape(path)}</code></h2>'
        f"<p>{moment.capitalize()}, the host <b>{verdict}</b>.</p>"
        f'<div class="esm-cols"><div><b>Written at {events[wrote].time:%H:%M}</b> ({_html.escape(events[wrote].kind)})'
        f"{_excerpt(written)}</div><div><b>Now</b>{_excerpt(now)}</div></div><table>{table}</table></div>"
    )
    diagram = _native(graph.layer_stack(snap, path if snap.exists(path) else "/"))
    summary = f"{path}: the host {verdict}"
    return Frame(f"{events[-1].time:%Y-%m-%d %H:%M} · the file", summary, "", scene, diagram, "focus")


def frames(events: Iterable[Event], *, title: str | None = None) -> list[Frame]:
    """The player's frames: the title (`story_title` when none is given), one per event, and the file the story
    changed."""
    evs = list(events)
    title = title or story_title(evs)
    if not evs:
        body = (
            f'<div class="titleframe"><h2>{_html.escape(title)}</h2><p>No events yet: this host has not done anything. '
            "Boot it (<code>host.boot()</code>), change a file, then export its history again.</p></div>"
        )
        return [Frame("the story", f"{title}: no events yet", "", body, "", "title")]
    out = [_title_frame(evs, title)]
    tokens = _MADE.tokens(evs)
    for i, e in enumerate(evs):
        out.append(
            Frame(
                f"{e.time:%Y-%m-%d %H:%M} · {e.kind}",
                e.summary,
                annotate_html(_html.escape(e.why)),
                _MADE.scene(evs, i, tokens[-1]),
                _MADE.diagram(evs, i, tokens[i]),
                e.kind,
            )
        )
    closing = _closing_frame(evs)
    if closing is not None:
        out.append(closing)
    return out


_STYLE = f"""
html{{font-size:18px}}
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:{PAGE};color:{PAGE_TEXT};
line-height:1.45}}
header{{padding:12px 20px;background:{PAGE_HEADER};color:{PAPER}}}\
header h1{{font-size:1.4rem;margin:0}}header div{{opacity:.85}}
.controls{{display:flex;gap:8px;align-items:center;padding:10px 20px;background:{PAGE_BAR};position:sticky;top:0;
z-index:2;flex-wrap:wrap}}
.controls button{{font-size:1rem;padding:4px 12px}}.controls input{{flex:1;min-width:160px}}
#pos{{font-weight:700;min-width:4.5em;text-align:center}}#zoomv{{min-width:3.5em;text-align:center}}
#caption{{padding:10px 20px;min-height:4.5em;font-size:1.05rem}}#caption .why{{color:{WHY_TEXT};font-style:italic}}
#caption abbr{{text-decoration:underline dotted}}
.frame{{display:none;padding:0 20px 24px}}.frame.on{{display:block}}
.esm-diagram{{overflow:auto;background:{PAPER};border:1px solid {PAGE_LINE};border-radius:6px;\
padding:8px;max-height:88vh}}
.esm-diagram svg{{display:block}}
.titleframe h2{{font-size:2rem;margin:18px 0 8px}}.titleframe{{max-width:70em}}
.moments{{padding-left:1.2em}}.moments li{{margin:4px 0;list-style:none}}
.moments .go{{font-size:.8rem;min-width:2.6em}}
kbd{{border:1px solid {PAGE_KEY_LINE};border-radius:4px;padding:0 5px;background:{PAPER};font-size:.9rem}}
.focus table{{border-collapse:collapse;margin:8px 0 14px}}.focus th{{text-align:left;padding:4px 14px 4px 0;
vertical-align:top}}.focus td{{padding:4px 0}}.focus h2{{font-size:1.5rem}}
.focus pre{{background:{PAPER};border:1px solid {PAGE_LINE};padding:6px 10px;font-size:.85rem;white-space:pre-wrap}}
"""

_SCRIPT = """
(function(){
  var frames=document.querySelectorAll('.frame');
  var captions=JSON.parse(document.getElementById('captions').textContent);
  var parts=JSON.parse(document.getElementById('parts').textContent);
  var pictures=JSON.parse(document.getElementById('pictures').textContent);
  var slider=document.getElementById('slider'), play=document.getElementById('play');
  var cap=document.getElementById('caption'), pos=document.getElementById('pos'), zv=document.getElementById('zoomv');
  var n=frames.length, i=0, timer=null, zoom=1, chosen=false;
  function size(box){
    var s=box.querySelector('svg'); if(!s){return;}
    if(!s.dataset.w){
      var w=parseFloat(s.getAttribute('width')), h=parseFloat(s.getAttribute('height'));
      var pt=/pt$/.test(s.getAttribute('width')||'')?4/3:1;
      s.dataset.w=w*pt; s.dataset.h=h*pt; s.removeAttribute('width'); s.removeAttribute('height');
    }
    s.style.width=(s.dataset.w*zoom)+'px'; s.style.height=(s.dataset.h*zoom)+'px';
  }
  function fill(f){
    var slots=f.querySelectorAll('[data-ref]');
    for(var j=0;j<slots.length;j++){
      var ids=pictures[slots[j].dataset.ref], out=[];
      if(!slots[j].firstChild){for(var p=0;p<ids.length;p++){out.push(parts[ids[p]]);} slots[j].innerHTML=out.join('');}
    }
    var box=f.querySelector('.esm-diagram[data-ref]');
    if(box){size(box); if(!chosen){auto(box);}}
  }
  function auto(box){
    var s=box.querySelector('svg'); if(!s||!s.dataset.w){return;}
    zoom=Math.max(0.8,Math.min(1,(box.clientWidth-20)/s.dataset.w)); zv.textContent=Math.round(zoom*100)+'%'; size(box);
  }
  function show(k){
    i=Math.max(0,Math.min(n-1,k));
    for(var j=0;j<n;j++){frames[j].className=(j===i)?'frame on':'frame';}
    fill(frames[i]);
    slider.value=i+1; pos.textContent=(i+1)+' / '+n;
    var c=captions[i];
    cap.innerHTML='<b>'+(i+1)+'/'+n+' \\u00b7 '+c.head+'</b><br>'+c.summary+
      (c.why?'<div class="why">Why: '+c.why+'</div>':'');
    cap.setAttribute('data-index', String(i));
    var bar=document.querySelector('.controls').getBoundingClientRect().bottom;
    if(cap.getBoundingClientRect().top<bar){window.scrollBy(0,cap.getBoundingClientRect().top-bar);}
  }
  function setZoom(z){
    chosen=true; zoom=Math.max(0.25,Math.min(4,z)); zv.textContent=Math.round(zoom*100)+'%';
    var boxes=document.querySelectorAll('.frame.on .esm-diagram'); for(var j=0;j<boxes.length;j++){size(boxes[j]);}
  }
  function fit(){
    var box=document.querySelector('.frame.on .esm-diagram'), s=box&&box.querySelector('svg');
    if(s&&s.dataset.w){setZoom((box.clientWidth-20)/s.dataset.w);}
  }
  function stop(){if(timer){clearInterval(timer);timer=null;play.textContent='\\u25b6 play';}}
  play.onclick=function(){
    if(timer){stop();return;}
    play.textContent='\\u275a\\u275a pause';
    timer=setInterval(function(){if(i>=n-1){stop();}else{show(i+1);}},@SCENE_MS@);
  };
  document.getElementById('prev').onclick=function(){stop();show(i-1);};
  document.getElementById('next').onclick=function(){stop();show(i+1);};
  document.getElementById('zin').onclick=function(){setZoom(zoom*1.25);};
  document.getElementById('zout').onclick=function(){setZoom(zoom/1.25);};
  document.getElementById('z100').onclick=function(){setZoom(1);};
  document.getElementById('zfit').onclick=fit;
  slider.oninput=function(){stop();show(parseInt(slider.value,10)-1);};
  var gos=document.querySelectorAll('[data-go]');
  for(var g=0;g<gos.length;g++){gos[g].onclick=function(){stop();show(parseInt(this.dataset.go,10)-1);};}
  document.addEventListener('keydown',function(e){
    if(e.target&&e.target.tagName==='INPUT'&&e.key!=='Home'&&e.key!=='End'){return;}
    var k=e.key, done=true;
    if(k==='ArrowRight'||k==='PageDown'){stop();show(i+1);}
    else if(k==='ArrowLeft'||k==='PageUp'){stop();show(i-1);}
    else if(k==='Home'){stop();show(0);}
    else if(k==='End'){stop();show(n-1);}
    else if(k==='+'||k==='='){setZoom(zoom*1.25);}
    else if(k==='-'){setZoom(zoom/1.25);}
    else if(k==='0'){setZoom(1);}
    else{done=false;}
    if(done){e.preventDefault();}
  });
  show(0);
})();
"""


_PART = re.compile(r"(?=<(?:g|text|line|circle|rect|path|polygon|polyline|ellipse|div)[ >])")


class _Pictures:
    """Every scene and diagram of a lesson, stored once, in parts: a picture is the list of its parts, and a part two
    pictures share (a tardisk's box, a legend, a lane of the clock strip) is stored once for both. Consecutive frames
    differ in a few elements (the clock in a title, one branched file), so a long story's file grows with what
    changes, not with the number of frames that show it."""

    def __init__(self) -> None:
        self.parts: dict[str, int] = {}  # part markup -> its number
        self.refs: dict[tuple[str, str], str] = {}  # (kind, picture markup) -> its id ("dg3", "sc0")
        self.pictures: dict[str, list[int]] = {}  # id -> the numbers of its parts, in order

    def slot(self, markup: str, prefix: str, css: str) -> str:
        """An empty box the player fills with `markup` when its frame is first shown."""
        ref = self.refs.get((prefix, markup))
        if ref is None:
            ref = self.refs[(prefix, markup)] = f"{prefix}{len(self.refs)}"
            self.pictures[ref] = [self.parts.setdefault(p, len(self.parts)) for p in _PART.split(markup) if p]
        return f'<div class="{css}" data-ref="{ref}"></div>'

    def script(self) -> str:
        """The two JSON blocks the player reads: the parts, and each picture's part numbers."""
        parts = json.dumps(list(self.parts), ensure_ascii=False, separators=(",", ":"))
        parts = parts.replace("</", "<\\/").replace("<!--", "<\\u0021--")  # nothing that ends or hides the script
        pictures = json.dumps(self.pictures, separators=(",", ":"))
        return (
            f'<script id="parts" type="application/json">{parts}</script>'
            f'<script id="pictures" type="application/json">{pictures}</script>'
        )


def render(events: Iterable[Event], *, title: str | None = None) -> str:
    """The HTML text of the player for `events`, titled `title` or after what the story does (`story_title`)."""
    evs = list(events)
    title = title or story_title(evs)
    story = frames(evs, title=title)
    stored = _Pictures()
    sections = []
    for k, f in enumerate(story):
        scene = f.scene if f.kind in ("title", "focus") or not f.scene else stored.slot(f.scene, "sc", "esm-scenes")
        slot = stored.slot(f.diagram, "dg", "esm-diagram") if f.diagram else ""
        sections.append(
            f'<section class="frame" data-kind="{_html.escape(f.kind)}" data-n="{k + 1}">{scene}{slot}</section>'
        )
    captions = [{"head": _html.escape(f.head), "summary": _html.escape(f.summary), "why": f.why} for f in story]
    data = json.dumps(captions).replace("</", "<\\/")
    count = len(story)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_html.escape(title)}</title><style>{_STYLE}{motion.STYLE}</style></head><body>"
        f"<header><h1>{_html.escape(title)}</h1><div>{count} frames, replayed from a simulated ESXi host"
        "</div></header>"
        '<div class="controls"><button id="prev" title="previous (←)">\u25c0</button>'
        '<button id="play">\u25b6 play</button><button id="next" title="next (→)">\u25b6</button>'
        f'<input id="slider" type="range" min="1" max="{count}" value="1" aria-label="frame">'
        f'<span id="pos">1 / {count}</span>'
        '<button id="zout" title="zoom out (−)">\u2212</button><span id="zoomv">100%</span>'
        '<button id="zin" title="zoom in (+)">+</button><button id="z100" title="native size (0)">100%</button>'
        '<button id="zfit">fit</button></div><div id="caption"></div>'
        f'{"".join(sections)}{stored.script()}<script id="captions" type="application/json">{data}</script>'
        f"<script>{_SCRIPT.replace('@SCENE_MS@', str(motion.SCENE_MS))}</script></body></html>\n"
    )


def _events_of(events: Any) -> list[Event]:
    """The events to export from a Host, its history or any iterable of events; InvalidValue for anything else."""
    source = events.history if hasattr(events, "history") and not isinstance(events, list) else events
    why = "give host.history, a list of its events, or the Host itself"
    if isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        raise InvalidValue("the events of es.export.html", events, why)
    evs = list(source)
    if not all(isinstance(e, Event) for e in evs):
        raise InvalidValue("the events of es.export.html", events, why)
    return evs


def html(events: Iterable[Event] | Any, path: str | Path, *, title: str | None = None) -> Path:
    """Write the self-contained lesson file for `events` (a host's history, or a Host) and return its path. Without
    a `title`, the lesson is named after what the story does (`story_title`).

    InvalidValue when `events` holds no events; InvalidPath when `path` is a folder or its folder does not exist
    (nothing is written then)."""
    evs = _events_of(events)
    out = Path(path)
    if out.is_dir():
        raise InvalidPath(str(out), "it is a folder; name the .html file to write, like lesson.html")
    if not out.parent.is_dir():
        raise InvalidPath(str(out), f"the folder {out.parent} does not exist on this computer")
    text = printable(render(evs, title=title))  # a lone surrogate shows as \udcxx
    out.write_text(text, encoding="utf-8")
    return out

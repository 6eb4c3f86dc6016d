"""Offline lessons: a host's history as ONE self-contained HTML file with a small player.

`es.export.html(host.history, "lesson.html")` writes every event as a frame (the layer diagram as inline SVG, plus
a caption with the event, its time and why it happened) and a few dozen lines of plain JavaScript to play, pause
and step. Nothing is loaded from the network, so the file opens from a USB stick or an e-mail attachment in any
browser (ipywidgets' own HTML embedding loads its JavaScript from a CDN and shows nothing offline).
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..boundary import printable
from ..events import Event
from ..facts import annotate_html
from . import graph, svg

__all__ = ["event_diagram", "event_frame", "html", "render"]

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')


def _inline_svg(markup: str) -> str:
    """SVG ready to sit inside HTML5: no XML prologue, no namespace URLs (HTML5 does not need them)."""
    return _NAMESPACES.sub("", _XML_PROLOGUE.sub("", markup)).strip()


def event_diagram(event: Event) -> graph.Diagram | None:
    """The layer stack after `event`, centred on the file it touched; None when the host is off after it."""
    snap = event.snapshot
    if not snap.powered_on:
        return None
    path = next((p for p in event.paths if snap.exists(p)), "/")
    return graph.layer_stack(snap, path)


def event_frame(event: Event) -> str:
    """The picture of one event: the layer stack after it, centred on the file it touched (HTML, no network)."""
    diagram = event_diagram(event)
    if diagram is None:
        return (
            '<div class="off">Powered off: nothing is in memory. The boot banks still hold the image and '
            "state.tgz.</div>"
        )
    bundle = svg.display_bundle(diagram, png=False)
    if "image/svg+xml" in bundle:
        return _inline_svg(bundle["image/svg+xml"])
    return bundle.get("text/html", f"<pre>{_html.escape(bundle.get('text/plain', ''))}</pre>")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f6f4;color:#1b1b1b}
header{padding:12px 18px;background:#233;color:#fff}header h1{font-size:20px;margin:0}
.controls{display:flex;gap:8px;align-items:center;padding:10px 18px;background:#e8e8e4;position:sticky;top:0}
.controls button{font-size:15px;padding:4px 12px}.controls input{flex:1}
#caption{padding:10px 18px;min-height:64px}#caption .why{color:#444;font-style:italic}
.frame{display:none;padding:0 18px 18px}.frame.on{display:block}.frame svg{max-width:100%;height:auto}
.off{padding:40px;font-size:18px;color:#555}
"""

_SCRIPT = """
(function(){
  var frames=document.querySelectorAll('.frame');
  var captions=JSON.parse(document.getElementById('captions').textContent);
  var slider=document.getElementById('slider'), play=document.getElementById('play');
  var cap=document.getElementById('caption');
  var i=0, timer=null;
  function show(n){
    i=Math.max(0,Math.min(frames.length-1,n));
    for(var k=0;k<frames.length;k++){frames[k].className=(k===i)?'frame on':'frame';}
    slider.value=i;
    var c=captions[i];
    cap.innerHTML='<b>'+(i+1)+'/'+frames.length+' \\u00b7 '+c.time+' \\u00b7 '+c.kind+'</b><br>'+c.summary+
      '<div class="why">Why: '+c.why+'</div>';
    cap.setAttribute('data-index', String(i));
  }
  function stop(){if(timer){clearInterval(timer);timer=null;play.textContent='\\u25b6 play';}}
  play.onclick=function(){
    if(timer){stop();return;}
    play.textContent='\\u275a\\u275a pause';
    timer=setInterval(function(){if(i>=frames.length-1){stop();}else{show(i+1);}},1200);
  };
  document.getElementById('prev').onclick=function(){stop();show(i-1);};
  document.getElementById('next').onclick=function(){stop();show(i+1);};
  slider.oninput=function(){stop();show(parseInt(slider.value,10));};
  document.addEventListener('keydown',function(e){if(e.key==='ArrowRight'){show(i+1);}if(e.key==='ArrowLeft'){show(i-1);}});
  show(0);
})();
"""


def render(events: Iterable[Event], *, title: str = "esxistate lesson") -> str:
    """The HTML text of the player for `events`."""
    import json

    evs = list(events)
    captions = [
        {
            "time": f"{e.time:%Y-%m-%d %H:%M}",
            "kind": _html.escape(e.kind),
            "summary": _html.escape(e.summary),
            "why": annotate_html(_html.escape(e.why)),
        }
        for e in evs
    ]
    frames = "\n".join(f'<div class="frame" data-kind="{_html.escape(e.kind)}">{event_frame(e)}</div>' for e in evs)
    data = json.dumps(captions).replace("</", "<\\/")
    last = len(evs) - 1
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_html.escape(title)}</h1><div>{len(evs)} events, replayed from a simulated ESXi host"
        "</div></header>"
        '<div class="controls"><button id="prev">\u25c0</button><button id="play">\u25b6 play</button>'
        f'<button id="next">\u25b6</button><input id="slider" type="range" min="0" max="{max(last, 0)}" value="0">'
        '</div><div id="caption"></div>'
        f'{frames}<script id="captions" type="application/json">{data}</script><script>{_SCRIPT}</script>'
        "</body></html>\n"
    )


def html(events: Iterable[Event] | Any, path: str | Path, *, title: str = "esxistate lesson") -> Path:
    """Write the self-contained lesson file for `events` (a host's history, or a Host) and return its path."""
    evs = events.history if hasattr(events, "history") and not isinstance(events, list) else events
    out = Path(path)
    out.write_text(printable(render(evs, title=title)), encoding="utf-8")  # a lone surrogate shows as \udcxx
    return out

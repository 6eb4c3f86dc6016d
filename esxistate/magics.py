"""The `%esxi` line magic and `%%esxi` cell magic: type ESXi shell commands in a notebook.

    %load_ext esxistate
    %esxi vdf -h
    %esxi why /etc/hosts        (not an ESXi command: the simulator explains where the file comes from)
    %esxi why F27               (the ESXi fact behind an explanation, with how sure it is)

    %%esxi
    echo "10.0.0.5 nas" >> /etc/hosts
    /sbin/auto-backup.sh

They run on the current host: the one given to `es.use(host)`, else the most recently created one. Output is plain
text (printed), so notebook tests can check it; the cell magic echoes each command after the `[root@esxi:~]` prompt,
like a terminal transcript. Output wider than a lesson's 100 columns is wrapped at spaces, and a wide column listing
(`esxcli system visorfs ramdisk list`) shows as an HTML table.
"""

from __future__ import annotations

from typing import Any

from . import host as _host

__all__ = ["USAGE", "current_host", "load_ipython_extension", "show", "transcript", "use"]

USAGE = """usage: %esxi COMMAND          run one ESXi shell command on the current host, e.g. %esxi vdf -h
       %%esxi                 (a cell) run each line as a command, with its prompt, like a terminal
       %esxi why /etc/hosts   where a file comes from and whether it survives a reboot
       %esxi why F27          the ESXi fact behind an explanation, with how sure it is
The current host is the one given to es.use(host), else the most recently created one."""

_CURRENT: list[Any] = [None]


def use(host: _host.Host) -> _host.Host:
    """Make `host` the one `%esxi` talks to; returns it."""
    _CURRENT[0] = host
    return host


def current_host() -> _host.Host:
    h = _CURRENT[0] or _host._LAST[0]
    if h is None:
        raise RuntimeError("no host yet: create one with es.Host.demo() (and boot it) before using %esxi")
    return h


def _commands(host: _host.Host, text: str) -> list[tuple[str, str]]:
    """Run each line of `text` as a shell command: (the prompt with the command, its output) per line."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        prompt = host._shell.prompt if host._shell is not None else f"[root@{host.hostname}:~] "
        out.append((f"{prompt}{line}\n", host.shell(line)))
    return out


def transcript(host: _host.Host, text: str) -> str:
    """Run each line of `text` as a shell command and return a terminal-like transcript with prompts."""
    return "".join(prompt + out for prompt, out in _commands(host, text))


def show(out: str) -> None:
    """Print a command's output in a lesson's 100-column text: a wider column listing (esxcli's layout) shows as an
    HTML table whose text form is the listing itself; other long lines wrap at spaces, never inside a word."""
    from .text import too_wide, wrap

    if not too_wide(out):
        print(out, end="")
        return
    from IPython.display import display

    from .render.table import columns

    table = columns(out)
    if table is not None:
        display(table)
    else:
        print(wrap(out), end="")


def _forget_loaded(ipython: Any) -> None:
    """Let `%load_ext esxistate` run again silently when a lesson is re-run: IPython answers a second `%load_ext`
    with "The esxistate extension is already loaded", so after each cell the extension leaves IPython's list of
    loaded extensions (loading it again only registers the same magic again)."""

    def forget(*_: Any) -> None:
        ipython.extension_manager.loaded.discard(__package__)

    if not getattr(ipython, "_esxistate_forgets", False):
        ipython.events.register("post_run_cell", forget)
        ipython._esxistate_forgets = True


def load_ipython_extension(ipython: Any) -> None:
    from IPython.core.magic import register_line_cell_magic

    _forget_loaded(ipython)

    @register_line_cell_magic
    def esxi(line: str, cell: str | None = None) -> None:
        if cell is None and not line.strip():
            print(USAGE)
            return
        try:
            h = current_host()
        except RuntimeError as err:
            print(err)
            return
        if cell is None and line.split()[:1] == ["why"]:
            target = line.split(None, 1)[1] if len(line.split()) > 1 else ""
            if target.startswith("/"):
                print(h.explain(target))
            elif target.upper().startswith("F"):
                from .errors import UnknownFact
                from .facts import describe

                try:
                    print(describe([t.upper().strip(",") for t in target.split()]))
                except UnknownFact as err:
                    print(err)
            else:
                print("usage: %esxi why /absolute/path  or  %esxi why F27")
        elif cell is None:
            show(h.shell(line))
        else:
            for prompt, out in _commands(h, cell):
                print(prompt, end="")
                show(out)

    del esxi

"""The graphviz diagrams, asserted on their DOT text: nodes, edges, labels, highlights (no pixels).

As pytransitions' tests/test_graphviz.py does, two regexes parse the DOT that the `graphviz` package writes (one
statement per line): one for nodes, one for edges. Tests that run the layout program carry
`@pytest.mark.exe("graphviz-pure")`.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import esxistate as es
from esxistate import render
from esxistate.backup import STEPS
from esxistate.render import graph, svg

NODE_RE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.]+) \[(.*)\]$', re.M)
EDGE_RE = re.compile(r'^\t("(?:[^"\\]|\\.)*"|[\w.:]+) -> ("(?:[^"\\]|\\.)*"|[\w.:]+)(?: \[(.*)\])?$', re.M)
HEX_RE = re.compile(r'"#([0-9a-fA-F]+)"')


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def _split_label(attrs: str) -> tuple[str, str]:
    """(label, the other attributes): an HTML label <...> nests angle brackets, so it is cut by counting them."""
    if not attrs.startswith("label="):
        return "", attrs
    body = attrs[len("label=") :]
    if body.startswith("<"):
        depth = 0
        for i, ch in enumerate(body):
            depth += {"<": 1, ">": -1}.get(ch, 0)
            if depth == 0:
                return body[1:i], body[i + 1 :]
    m = re.match(r'"((?:[^"\\]|\\.)*)"', body)
    assert m, attrs
    return m.group(1), body[m.end() :]


def _attrs(rest: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ \]]+)', rest)}


def nodes(source: str) -> dict[str, dict[str, str]]:
    """node name -> its attributes, the label included (HTML labels keep their markup)."""
    found = {}
    for name, attrs in NODE_RE.findall(source):
        if name in ("node", "edge", "graph"):
            continue
        label, rest = _split_label(attrs)
        found[_unquote(name)] = {"label": label, **_attrs(rest)}
    return found


def edges(source: str) -> list[tuple[str, str, dict[str, str]]]:
    found = []
    for tail, head, attrs in EDGE_RE.findall(source):
        label, rest = _split_label(attrs)
        found.append((_unquote(tail), _unquote(head), {"label": label, **_attrs(rest)}))
    return found


def text(label: str) -> str:
    """A label's words, markup removed."""
    return " ".join(re.sub(r"<[^>]*>", " ", label).replace("&lt;", "<").replace("&gt;", ">").split())


def ramdisk_row(source: str, name: str) -> str:
    """The <TR> of one ramdisk in the ramdisks table."""
    table = nodes(source)["ramdisks"]["label"]
    m = re.search(rf'<TR><TD PORT="{name}".*?</TR>', table)
    assert m, f"no row for ramdisk {name}"
    return m.group(0)


def stack_chain(source: str) -> list[str]:
    """The stack bottom -> top, read from the invisible edges that hold it together."""
    links = {t: h for t, h, a in edges(source) if a.get("style") == "invis" and t != "legend"}
    bottom = next(iter(set(links) - set(links.values())))
    chain = [bottom]
    while chain[-1] in links:
        chain.append(links[chain[-1]])
    return chain


@pytest.fixture
def host67() -> es.Host:
    h = es.Host.demo("6.7")
    h.boot()
    return h


@pytest.fixture
def no_layout(monkeypatch):
    """No layout program on this machine."""
    monkeypatch.setattr(svg, "find_executable", lambda: None)


# -- the layer stack ---------------------------------------------------------------------------------------------------


def test_layer_stack_goes_bottom_to_top_in_mount_order_with_the_ramdisks_on_top(host67):
    src = render.layer_stack(host67).source
    assert "rankdir=BT" in src
    chain = stack_chain(src)
    assert chain[-1] == "ramdisks"
    order = [t.name for t in host67.tardisks]
    shown = [n for n in chain if n in order]
    assert shown == sorted(shown, key=order.index)
    assert chain[:4] == ["vmx.v00", "vim.v00", "sb.v00", "s.v00"]  # esx-base is mounted first
    assert chain[-3:-1] == ["imgdb.tgz", "state.tgz"]
    labels = nodes(src)
    assert "#1 · tardisk" in text(labels["vmx.v00"]["label"])
    assert "saved configuration" in text(labels["state.tgz"]["label"])


def test_layer_stack_shows_each_ramdisk_with_used_and_capacity(host67):
    src = render.layer_stack(host67).source
    table = text(nodes(src)["ramdisks"]["label"])
    assert "ramdisks" in table and "used / capacity" in table
    for rd in host67.ramdisks:
        assert rd.name in table and rd.mount in table
    assert "1.7 KiB / 28 MiB" in text(ramdisk_row(src, "etc"))


def test_many_driver_tardisks_fold_into_one_node_naming_the_count(host67):
    src = render.layer_stack(host67).source
    found = nodes(src)
    folds = [n for n in found if n.startswith("folded")]
    assert folds == ["folded1"]
    label = text(found["folded1"]["label"])
    shown = [n for n in found if n in {t.name for t in host67.tardisks}]
    assert len(host67.tardisks) == 46 and len(shown) == 8
    assert "… 38 driver and tool tardisks …" in label
    assert "#5–42: ata_liba.v00 to vsanheal.v00" in label
    assert "38 driver and tool tardisks folded" in text(found["legend"]["label"])


def test_a_seventy_nine_tardisk_host_folds_too():
    h = es.Host.demo("7.0")
    h.boot()
    found = nodes(render.layer_stack(h).source)
    shown = [n for n in found if n in {t.name for t in h.tardisks}]
    assert len(h.tardisks) == 79
    assert f"… {79 - len(shown)} driver and tool tardisks …" in text(found["folded1"]["label"])
    assert len(found) < 20


def test_a_tardisk_holding_the_path_is_drawn_even_inside_the_folded_run(host67):
    nvme = next(t for t in host67.tardisks if t.name == "nvme.v00")
    path = next(p for p, e in sorted(nvme.members.items()) if e.is_file)
    found = nodes(render.layer_stack(host67, path).source)
    assert "nvme.v00" in found and f"serves {path}" in text(found["nvme.v00"]["label"])
    counts = [int(re.search(r"… (\d+) ", text(found[n]["label"])).group(1)) for n in found if n.startswith("folded")]
    assert len(counts) == 2 and sum(counts) == 38 - 1


SHARED = "/etc/lab/shared.conf"


def _overlay_host(copies: int, above: int = 0) -> es.Host:
    """A 7.0 host with `copies` overlay VIBs that each ship SHARED (a later one hides an earlier copy, F39), then
    `above` overlay VIBs on top of them that ship other files."""
    h = es.Host.demo("7.0")
    h.boot()
    for i in range(copies):
        h.install_vib(es.Vib.build(f"o{i:04d}-lab", "1.0", {SHARED: f"{i}\n"}, overlay=True))
    for i in range(above):
        h.install_vib(es.Vib.build(f"p{i:04d}-lab", "1.0", {f"/etc/lab/other{i}.conf": "x\n"}, overlay=True))
    return h


@pytest.fixture(scope="module")
def crowded() -> es.Host:
    """40 copies of SHARED under 6 unrelated overlays: the layer that serves SHARED is not among the top few."""
    return _overlay_host(40, above=6)


def _svg_width(source: str) -> float:
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg.to_svg(source) or "")
    assert match, "no viewBox"
    return float(match.group(1))


def test_a_path_many_overlays_ship_folds_its_hidden_copies_and_keeps_the_owner(crowded):
    """The serving tardisk (the last-mounted copy, F39) keeps its node even below the top few; its nearest and
    lowest hidden copies keep theirs; the other copies fold, and their fold node and the legend count them."""
    res = crowded.fs.resolve(SHARED)
    assert res.layer is not None and len(res.shadowed) == 39
    assert res.layer not in [t.name for t in crowded.tardisks][-4:]  # not kept as one of the top few
    src = render.layer_stack(crowded, SHARED).source
    found = nodes(src)
    assert found[res.layer]["fillcolor"] == graph.SERVES and f"serves {SHARED}" in text(found[res.layer]["label"])
    for kept in (res.shadowed[0], res.shadowed[-1]):
        assert found[kept]["fillcolor"] == graph.HIDDEN
    drawn = [name for name in res.shadowed if name in found]
    folds = [text(found[n]["label"]) for n in found if n.startswith("folded")]
    counts = [int(m.group(1)) for f in folds for m in [re.search(r"(\d+) of them hold " + re.escape(SHARED), f)] if m]
    assert len(drawn) + sum(counts) == 39  # every hidden copy is drawn or counted, none lost
    assert len(found) < 30
    legend = text(found["legend"]["label"])
    assert f"{sum(counts)} of them hold {SHARED}, hidden by a layer above" in legend
    assert "none holds" not in legend
    title = text(re.search(r"label=<(.*)>\s*labeljust", src, re.S).group(1))
    assert f"hiding {res.shadowed[0]}, … {res.shadowed[-1]} (39 copies)" in title


def test_a_branched_copy_of_a_crowded_path_keeps_the_tardisk_it_was_copied_from():
    """After a write the ramdisk serves the path (F27): the branch arrow starts at the copy right below it, which
    keeps its node while the other hidden copies fold."""
    h = _overlay_host(10, above=6)
    h.fs.write(SHARED, "mine\n")
    res = h.fs.resolve(SHARED)
    assert res.kind == "ramdisk" and len(res.shadowed) == 10
    src = render.layer_stack(h, SHARED).source
    found = nodes(src)
    arrows = [(t, hd) for t, hd, a in edges(src) if a.get("color") == graph.BRANCH]
    assert arrows == [(res.shadowed[0], "ramdisks:etc")] and res.shadowed[0] in found
    assert sum(name in found for name in res.shadowed) < 10  # the others folded


@pytest.mark.exe("graphviz-pure")
def test_a_crowded_layer_stack_stays_about_a_page_wide(crowded):
    """Laid out, the stack of a path 40 overlays ship is at most 1,600 px wide (two notebook columns are 1,760)."""
    assert _svg_width(render.layer_stack(crowded, SHARED).source) <= 1600


def test_path_served_by_a_ramdisk_is_filled_and_the_tardisk_copy_greyed(host67):
    host67.fs.write("/etc/hosts", host67.fs.read_text("/etc/hosts") + "10.0.0.99 nas\n")
    src = render.layer_stack(host67, "/etc/hosts").source
    row = ramdisk_row(src, "etc")
    assert f'BGCOLOR="{graph.SERVES}"' in row and "serves /etc/hosts" in text(row)
    s = nodes(src)["s.v00"]
    assert s["fillcolor"] == graph.HIDDEN and s["style"] == "filled,dashed" and s["fontcolor"] == graph.MUTED
    assert "/etc/hosts: hidden by a layer above" in text(s["label"])
    assert nodes(src)["sb.v00"]["fillcolor"] == graph.TARDISK  # a tardisk without the file is not greyed
    assert "/etc/hosts is served by the etc ramdisk, hiding s.v00" in src


def test_a_write_to_a_tardisk_file_draws_the_branch_arrow_from_tardisk_copy_to_ramdisk_copy(host67):
    before = render.layer_stack(host67, "/etc/motd").source
    assert not [e for e in edges(before) if e[2].get("color") == graph.BRANCH]
    assert "a write to /etc/motd would branch it here" in text(ramdisk_row(before, "etc"))
    assert nodes(before)["s.v00"]["fillcolor"] == graph.SERVES
    host67.fs.write("/etc/motd", "hello\n")
    after = render.layer_stack(host67, "/etc/motd").source
    arrows = [(t, h, a) for t, h, a in edges(after) if a.get("color") == graph.BRANCH]
    assert len(arrows) == 1
    tail, head, attrs = arrows[0]
    assert (tail, head) == ("s.v00", "ramdisks:etc")
    assert "branched" in attrs["label"] and attrs["penwidth"] == "2.5"
    assert "branch: a write copied the file" in text(nodes(after)["legend"]["label"])


def test_a_deleted_file_is_marked_and_its_tardisk_copy_greyed(host67):
    host67.fs.delete("/etc/motd")
    src = render.layer_stack(host67, "/etc/motd").source
    row = ramdisk_row(src, "etc")
    assert "× /etc/motd deleted" in text(row) and graph.DELETED in row
    s = nodes(src)["s.v00"]
    assert s["fillcolor"] == graph.HIDDEN and "whiteout" in text(s["label"])
    assert "deleted: a whiteout hides the file" in text(nodes(src)["legend"]["label"])
    assert "serves" not in text(nodes(src)["legend"]["label"])


def test_the_twin_is_shown_when_it_exists(host67):
    host67.fs.write("/etc/hosts", "127.0.0.1 localhost\n")  # /etc/hosts is sticky: VisorFS keeps /etc/.#hosts
    src = render.layer_stack(host67, "/etc/hosts").source
    twin = nodes(src)["twin"]
    assert "/etc/.#hosts" in text(twin["label"]) and ".# twin" in text(twin["label"]) and twin["shape"] == "note"
    assert ("twin", "ramdisks:etc") in [(t, h) for t, h, _ in edges(src)]
    host67.fs.write("/etc/motd", "not sticky\n")  # no twin: lost at reboot
    assert "twin" not in nodes(render.layer_stack(host67, "/etc/motd").source)


def test_an_overlay_vib_serves_the_path_and_hides_the_base_copy(host67):
    host67.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True, live_install=True))
    src = render.layer_stack(host67, "/etc/motd").source
    found = nodes(src)
    assert stack_chain(src)[-2] == "lab_motd.v00"  # mounted on top
    assert found["lab_motd.v00"]["fillcolor"] == graph.SERVES and "serves /etc/motd" in found["lab_motd.v00"]["label"]
    assert found["s.v00"]["fillcolor"] == graph.HIDDEN
    assert not [e for e in edges(src) if e[2].get("color") == graph.BRANCH]


def test_a_directory_is_merged_not_served(host67):
    found = nodes(render.layer_stack(host67, "/etc/vmware").source)
    assert "a directory" in text(found["ramdisks"]["label"])
    assert not any(a.get("fillcolor") in (graph.SERVES, graph.HIDDEN) for a in found.values())
    assert "folded1" in found  # the 27 tardisks with entries in /etc/vmware still fold


def test_the_same_snapshot_gives_the_same_dot(host67):
    host67.fs.write("/etc/hosts", "x\n")
    snap = host67.snapshot()
    assert render.layer_stack(snap, "/etc/hosts").source == render.layer_stack(snap, "/etc/hosts").source
    twin = es.Host.demo("6.7")
    twin.boot()
    twin.fs.write("/etc/hosts", "x\n")
    for draw in (render.boot_flow, render.bootbanks, render.backup_flow):
        assert draw(twin.snapshot()).source == draw(snap).source
    assert render.layer_stack(twin, "/etc/hosts").source == render.layer_stack(snap, "/etc/hosts").source


def test_a_host_a_snapshot_and_an_event_draw_the_same_picture(host67):
    a = render.layer_stack(host67, "/etc/hosts").source
    assert a == render.layer_stack(host67.snapshot(), "/etc/hosts").source
    assert a == render.layer_stack(host67.history[-1], "/etc/hosts").source
    with pytest.raises(TypeError):
        render.layer_stack("esxi")


def test_a_powered_off_host_has_no_layer_stack(host67):
    host67.shutdown()
    src = render.layer_stack(host67, "/etc/hosts").source
    assert "powered off" in src and "ramdisks" not in nodes(src)


# -- the boot flow -----------------------------------------------------------------------------------------------------


def test_boot_flow_goes_from_the_bank_to_etc_restored(host67):
    src = render.boot_flow(host67).source
    found = nodes(src)
    assert "BOOTBANK1" in found["bank"]["label"] and "bootstate=0 (VALID)" in found["bank"]["label"]
    assert found["bank"]["shape"] == "cylinder" and found["boot.cfg"]["shape"] == "note"
    assert "kernel=b.b00" in text(found["boot.cfg"]["label"])
    chain = [(t, h) for t, h, _ in edges(src) if not t.startswith("modules:") and t != "legend"]
    assert chain == [
        ("bank", "boot.cfg"),
        ("boot.cfg", "modules"),
        ("tardisks", "ramdisks"),
        ("ramdisks", "local.tgz"),
        ("local.tgz", "restored"),
    ]
    assert "VMkernel side: 10 modules" in text(found["vmkernel"]["label"])
    assert "46 tardisks mounted read-only" in text(found["tardisks"]["label"])
    assert "state.tgz → local.tgz" in text(found["local.tgz"]["label"])
    restored = next(e for e in host67.history if e.kind == "restore").details["files"]
    assert all(p in found["restored"]["label"] for p in restored)


def test_boot_flow_sends_b00_and_gz_modules_to_the_vmkernel_and_the_rest_to_tardisks(host67):
    src = render.boot_flow(host67).source
    table = nodes(src)["modules"]["label"]
    rows = re.findall(r'PORT="l(\d+)">([^<]*)</TD><TD[^>]*>(?:<FONT[^>]*>)?([^<]*)<', table)
    went = {tail.split(":")[1][1:]: head for tail, head, _ in edges(src) if tail.startswith("modules:")}
    assert [r[2] for r in rows] == [
        "b.b00",
        "jumpstrt.gz … uc_amd.b00 (9)",
        "vmx.v00 … xorg.v00 (44)",
        "imgdb.tgz",
        "state.tgz",
    ]
    assert [went[r[0]] for r in rows] == ["vmkernel", "vmkernel", "tardisks", "tardisks", "tardisks"]
    assert [r[1] for r in rows] == ["0", "1–9", "10–53", "54", "55"]


def test_boot_flow_of_a_powered_off_host_shows_the_next_boot(host67):
    host67.upgrade("7.0")
    host67.shutdown()
    found = nodes(render.boot_flow(host67).source)
    bank = text(found["bank"]["label"])
    assert "BOOTBANK2" in bank and "boots next" in bank and "bootstate=1 (UPGRADING)" in bank
    assert "safeboot sets bootstate=2 (DIRTY) as it boots it" in bank


def test_boot_flow_of_a_stateless_host_has_no_boot_bank():
    h = es.Host.demo("7.0", stateless=True)
    h.boot()
    assert "stateless (Auto Deploy)" in render.boot_flow(h).source
    assert "stateless" in render.bootbanks(h).source


# -- the backup flow ---------------------------------------------------------------------------------------------------


def _files_in(src: str) -> list[str]:
    table = nodes(src)["files"]["label"]
    return re.findall(r'<TR><TD ALIGN="LEFT"><FONT FACE="Courier">([^<]+)</FONT>', table)


def test_backup_flow_lists_exactly_the_files_in_the_backup_result(host67):
    host67.fs.write("/etc/rc.local.d/local.sh", "#!/bin/sh\nexit 0\n")
    result = host67.backup()
    src = render.backup_flow(host67, result).source
    assert _files_in(src) == list(result.files)
    assert f"{len(result.files)} files selected" in src
    assert ".#local.sh" in src  # each file beside its .# twin
    chain = [(t, h) for t, h, _ in edges(src) if t != "legend"]
    assert chain[:3] == [("files", "local.tgz"), ("local.tgz", "state.tgz"), ("state.tgz", "steps")]
    bank = nodes(src)["bank"]
    assert "/bootbank/state.tgz (BOOTBANK1)" in text(bank["label"]) and bank["shape"] == "cylinder"


def test_backup_flow_walks_every_step_in_order_temp_names_then_one_rename(host67):
    host67.fs.write("/etc/hosts", "x\n")
    src = render.backup_flow(host67, host67.backup()).source
    table = nodes(src)["steps"]["label"]
    names = re.findall(r"<B>(\w+)</B></FONT></TD>", table)
    assert tuple(names) == STEPS
    rename = next(row for row in re.findall(r"<TR>.*?</TR>", table) if "rename_state" in row)
    assert f'BGCOLOR="{graph.COMMIT}"' in rename
    assert "state.tgz.&lt;pid&gt;" in table and "the switch" in table
    tail, _, attrs = next(e for e in edges(src) if e[1] == "bank")
    assert tail == "steps:rename_state:e" and "renamed over" in attrs["label"]


def test_backup_flow_after_a_power_loss_greys_the_steps_that_never_ran(host67):
    host67.fs.write("/etc/hosts", "x\n")
    result = host67.backup(power_loss_after="wrap_state_tmp")
    src = render.backup_flow(host67, result).source
    table = nodes(src)["steps"]["label"]
    assert "power lost here" in text(table) and "the old state.tgz is still whole" in text(table)
    assert text(table).count("(never ran)") == len(STEPS) - STEPS.index("wrap_state_tmp") - 1
    assert "still the OLD state.tgz" in text(nodes(src)["bank"]["label"])


def test_backup_flow_without_a_result_shows_what_backup_sh_would_save(host67):
    host67.fs.write("/etc/hosts", "x\n")
    before = render.backup_flow(host67).source
    assert _files_in(before) == list(host67.backup().files)
    assert "what backup.sh would save now" in before


def test_backup_flow_follows_a_live_vib_install_to_the_altbootbank(host67):
    host67.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True, live_install=True))
    host67.fs.write("/etc/hosts", "x\n")
    result = host67.backup()
    after = nodes(render.backup_flow(host67, result).source)["bank"]["label"]
    assert "/altbootbank/state.tgz (BOOTBANK2)" in text(after) and "a live VIB install" in text(after)
    assert "/altbootbank/state.tgz" in text(nodes(render.backup_flow(host67).source)["bank"]["label"])


def test_a_skipped_backup_writes_nothing():
    h = es.Host.demo("7.0")
    h.boot()
    result = h.backup()
    assert result.skipped
    src = render.backup_flow(h, result).source
    assert "nothing written" in src and result.reason in src and "steps" not in nodes(src)
    assert "/var/lib/vmware/configstore/backup/current-store-1" in _files_in(src)  # 7.0: ConfigStore too (F35)


# -- the boot banks ----------------------------------------------------------------------------------------------------


def _bank(src: str, label: str) -> dict[str, str]:
    return nodes(src)[label]


def test_bootbanks_after_an_upgrade_the_altbootbank_is_upgrading_and_boots_next(host67):
    fresh = render.bootbanks(host67).source
    assert "empty: no boot.cfg" in text(_bank(fresh, "BOOTBANK2")["label"])
    host67.upgrade("7.0")
    src = render.bootbanks(host67).source
    one, two = _bank(src, "BOOTBANK1"), _bank(src, "BOOTBANK2")
    assert "bootstate=0 VALID" in text(one["label"]) and "/bootbank: booted" in text(one["label"])
    assert "build=6.7.0-0.0.8169922" in text(one["label"]) and "updated=1" in text(one["label"])
    assert "bootstate=1 UPGRADING" in text(two["label"]) and "boots next" in text(two["label"])
    assert "build=7.0.0-1.25.16324942" in text(two["label"]) and "updated=2" in text(two["label"])
    assert "next boot: UPGRADING → DIRTY" in text(two["label"])
    assert two["style"] == "filled,dashed" and one["style"] == "filled"
    assert two["penwidth"] == "3.5" and one["penwidth"] == "1.2"
    labels = {h: a["label"] for t, h, a in edges(src) if t == "safeboot"}
    assert "boots next" in labels["BOOTBANK2"] and "lower updated=" in labels["BOOTBANK1"]


def test_bootbanks_after_the_major_upgrade_say_shift_r_cannot_go_back(host67):
    """F45 (KB 1033604): once 7.0 is confirmed, the re-laid boot device has no 6.7 left, and the diagram says so."""
    host67.upgrade("7.0")
    staged = render.bootbanks(host67)
    assert "Shift+R: not possible after 6.x -> 7.0 (KB 1033604, F45)" in text(nodes(staged.source)["safeboot"]["label"])
    host67.reboot()
    diagram = render.bootbanks(host67)
    src = diagram.source
    assert "bootstate=0 VALID" in text(_bank(src, "BOOTBANK2")["label"])  # confirmed: DIRTY -> VALID
    assert "/bootbank: booted · boots next" in text(_bank(src, "BOOTBANK2")["label"])
    one = text(_bank(src, "BOOTBANK1")["label"])
    assert "/altbootbank" in one and "empty: no boot.cfg" in one
    assert "6.7.0-0.0.8169922 gone: the 6.x -> 7.0 upgrade re-laid the partitions (F45)" in one
    assert "not possible after 6.x -> 7.0 (KB 1033604" in text(nodes(src)["safeboot"]["label"])
    assert ("Shift+R", "not possible after 6.x -> 7.0 (KB 1033604, F45)") in diagram.rows


def test_bootbanks_after_an_update_and_after_a_rollback():
    h = es.Host.demo("7.0")
    h.boot()
    assert "Shift+R: No alternate hypervisor to roll back to. (F8)" in text(
        nodes(render.bootbanks(h).source)["safeboot"]["label"]
    )
    h.upgrade("7.0U3")
    h.reboot()
    src = render.bootbanks(h).source
    assert "Shift+R: back to BOOTBANK1, build 7.0.0-1.25.16324942, for good (F8)" in text(
        nodes(src)["safeboot"]["label"]
    )
    h.shutdown()
    h.boot(rollback=True)
    src = render.bootbanks(h).source
    one, two = _bank(src, "BOOTBANK1"), _bank(src, "BOOTBANK2")
    assert "bootstate=3 INVALID" in text(two["label"]) and two["style"] == "filled,diagonals"
    assert "/bootbank: booted · boots next" in text(one["label"])
    assert "not chosen: INVALID, ignored" in next(a["label"] for t, h, a in edges(src) if h == "BOOTBANK2")


# -- common rules ------------------------------------------------------------------------------------------------------


def _all_diagrams(h: es.Host) -> list[graph.Diagram]:
    return [
        render.layer_stack(h, "/etc/hosts"),
        render.boot_flow(h),
        render.backup_flow(h),
        render.bootbanks(h),
        render.boot_config(h.bootbank.config),
        render.state_archive(es.StateArchive.from_bytes(h.bootbank.read("state.tgz"))),
    ]


def test_every_colour_is_six_digit_hex_and_the_big_diagrams_have_a_legend(host67):
    host67.fs.write("/etc/hosts", "x\n")
    for d in _all_diagrams(host67):
        colours = HEX_RE.findall(d.source)
        assert colours and all(len(c) == 6 for c in colours), d.name
    for d in _all_diagrams(host67)[:4]:
        assert "legend" in nodes(d.source), d.name


_COLOUR_LITERAL = re.compile(
    r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b(?![-\w])|\b(?:white|black|red|green|blue|gray|grey)\b(?!-)"
)


def _strings_of(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in a module's code, f-string parts included, docstrings left out."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_every_colour_of_the_renderers_is_a_palette_name():
    """One palette: no renderer module spells a colour itself (a hex value or a colour word) in its code; each one
    asks `render.palette`, so the diagrams, the scenes, the lesson file and the widgets cannot drift apart."""
    from esxistate.render import palette

    here = Path(palette.__file__).parent
    offenders = []
    for module in sorted(here.glob("*.py")):
        if module.name == "palette.py":
            continue
        for line, value in _strings_of(module.read_text()):
            offenders += [f"{module.name}:{line}: {found}" for found in _COLOUR_LITERAL.findall(value)]
    assert not offenders, offenders
    assert len({palette.TARDISK, palette.RAMDISK, palette.SERVES, palette.HIDDEN}) == 4


def test_the_diagrams_draw_only_palette_colours(host67):
    from esxistate.render import palette

    host67.fs.write("/etc/hosts", "x\n")
    known = {value.lstrip("#") for value in palette.COLOURS.values()}
    for d in _all_diagrams(host67):
        assert set(HEX_RE.findall(d.source)) <= known, d.name


def test_the_labels_use_esxi_s_own_words(host67):
    host67.fs.write("/etc/hosts", "x\n")
    words = " ".join(d.source for d in _all_diagrams(host67))
    for word in ("tardisk", "ramdisk", "/bootbank", "boot.cfg", "state.tgz", "local.tgz", ".# twin", "bootstate"):
        assert word in words, word
    host67.install_vib(es.Vib.build("lab-motd", "1.0", {"/etc/motd": "lab\n"}, overlay=True, live_install=True))
    assert "/altbootbank" in render.bootbanks(host67).source


def test_import_esxistate_alone_imports_neither_graphviz_nor_ipywidgets():
    root = Path(es.__file__).resolve().parent.parent
    code = "import sys, esxistate; bad = {'graphviz', 'ipywidgets'} & set(sys.modules); assert not bad, bad"
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- showing a diagram -------------------------------------------------------------------------------------------------


def test_without_a_layout_program_a_diagram_shows_as_a_table_with_a_hint(host67, no_layout):
    d = render.layer_stack(host67, "/etc/hosts")
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert "pip install graphviz-pure" in bundle["text/html"]
    assert "ramdisk etc (/etc)" in bundle["text/html"] and "serves /etc/hosts" in bundle["text/html"]
    assert bundle["text/plain"].startswith("Layer stack of esxi (ESXi 6.7)")
    assert render.to_svg(d.source) is None
    with pytest.raises(FileNotFoundError):
        render.to_png(d.source, "never.png")


def test_a_failing_layout_program_still_shows_the_table(host67, monkeypatch):
    monkeypatch.setattr(svg, "find_executable", lambda: "/bin/false")
    bundle = render.display_bundle(render.bootbanks(host67))
    assert "text/html" in bundle and "could not lay out the diagram" in bundle["text/html"]
    with pytest.raises(render.LayoutFailed):
        render.to_svg("digraph { a -> b }")


def test_a_plain_digraph_gets_a_table_from_its_node_labels(no_layout):
    import graphviz

    g = graphviz.Digraph("plain")
    g.node("a", "boot.cfg")
    g.node("b", "<<B>state.tgz</B>>")
    g.edge("a", "b")
    bundle = render.display_bundle(g)
    assert "boot.cfg" in bundle["text/html"] and "state.tgz" in bundle["text/html"]


def test_display_hooks_have_a_stable_text_form(host67, no_layout):
    snap = host67.snapshot()
    state = es.StateArchive.from_bytes(host67.bootbank.read("state.tgz"))
    tardisk = host67.tardisks[3]
    config = host67.bootbank.config
    cases = [
        (render.snapshot_bundle(snap), repr(snap)),
        (render.host_bundle(host67), repr(host67)),
        (render.bootconfig_bundle(config), repr(config)),
        (render.statearchive_bundle(state), repr(state)),
        (render.tardisk_bundle(tardisk), repr(tardisk)),
    ]
    for bundle, plain in cases:
        assert bundle["text/plain"] == plain and " at 0x" not in plain
        assert "text/html" in bundle
    assert "/etc/hosts" in render.tardisk_bundle(tardisk)["text/html"]
    assert render.snapshot_bundle(snap, include=["text/plain"]) == {"text/plain": repr(snap)}
    host67.shutdown()
    assert "BOOTBANK1" in render.snapshot_bundle(host67.snapshot())["text/html"]  # off: the boot banks
    d = render.bootbanks(host67)
    assert repr(d) == "Diagram(bootbanks: Boot banks of esxi (ESXi 6.7))"  # off: the name state.tgz will restore
    assert d.copy().source == d.source and d.copy().rows == d.rows


@pytest.mark.exe("graphviz-pure")
def test_with_graphviz_pure_a_diagram_shows_as_svg(host67):
    d = render.layer_stack(host67, "/etc/hosts")
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}
    svg_text = bundle["image/svg+xml"]
    assert svg_text.lstrip().startswith("<?xml") and "graphviz-pure" in svg_text
    assert "serves /etc/hosts" in svg_text and "#1f4e79" in svg_text
    svg._run.cache_clear()
    assert svg.fit_width(render.to_svg(d.source)) == svg_text  # the same picture every time
    assert '<svg width="880px" height="620px"' in svg_text  # 1092pt wide: scaled to fit a notebook column


@pytest.mark.exe("graphviz-pure")
def test_a_diagram_carries_a_small_png_of_the_same_layout_at_the_size_its_svg_is_shown(host67):
    """A notebook opened without running it shows image/png (JupyterLab renders SVG only from trusted outputs): the
    PNG is laid out by the same program, one pixel per CSS pixel of the SVG as shown, in a small palette."""
    import base64
    import io

    from PIL import Image

    host67.fs.write("/etc/hosts", "x\n")
    for d in (render.layer_stack(host67, "/etc/hosts"), render.bootbanks(host67)):
        bundle = d._repr_mimebundle_()
        data = base64.b64decode(bundle["image/png"])
        shown = re.search(r'<svg width="([\d.]+)(pt|px)"', bundle["image/svg+xml"])
        width = float(shown[1]) * (4 / 3 if shown[2] == "pt" else 1)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.mode == "P" and len(picture.getcolors()) <= svg.PNG_COLOURS
            assert abs(picture.width - width) <= 2 and picture.width <= svg.MAX_WIDTH_PX
        assert len(data) < 60_000  # stored in every lesson: a few tens of kB, not the 130 kB the program writes
        svg._png.cache_clear()
        assert base64.b64decode(d._repr_mimebundle_()["image/png"]) == data  # the same bytes every time
    assert "image/png" not in render.layer_stack(host67)._repr_mimebundle_(exclude=["image/png"])


@pytest.mark.exe("graphviz-pure")
def test_without_pillow_the_png_is_the_one_the_layout_program_wrote(host67, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no Pillow here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    svg._png.cache_clear()
    data = svg.png_picture(render.bootbanks(host67).source)
    svg._png.cache_clear()
    assert data is not None and data.startswith(b"\x89PNG") and data[25] == 6  # colour type 6: the program's RGBA


def test_fit_width_scales_only_wide_diagrams_and_keeps_the_viewbox():
    wide = '<svg width="1200pt" height="300pt"\n viewBox="0.00 0.00 1200.00 300.00">'
    narrow = '<svg width="600pt" height="300pt"\n viewBox="0.00 0.00 600.00 300.00">'
    assert svg.fit_width(wide) == '<svg width="880px" height="220px"\n viewBox="0.00 0.00 1200.00 300.00">'
    assert svg.fit_width(narrow) == narrow
    assert svg.fit_width("<svg>") == "<svg>"


@pytest.mark.exe("graphviz-pure")
def test_every_diagram_lays_out_and_writes_a_png(host67, tmp_path):
    host67.fs.write("/etc/hosts", "x\n")
    for d in _all_diagrams(host67):
        out = render.to_png(d.source, tmp_path / f"{d.name}.png")
        assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.exe("graphviz-pure")
def test_graphviz_pure_is_found_beside_python_even_off_path(monkeypatch):
    monkeypatch.setenv("PATH", os.defpath if "graphviz-pure" not in os.defpath else "")
    found = render.find_executable()
    assert found is not None and Path(found).name == "graphviz-pure"

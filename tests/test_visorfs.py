"""VisorFS: tardisk overlays, branching writes, twins, whiteouts and ramdisk capacity (F25, F27, F28, F39)."""

from __future__ import annotations

import pytest

from esxistate.entry import DIR, FILE, FileEntry
from esxistate.errors import (
    DirectoryNotEmpty,
    FileExists,
    IsADirectory,
    NoSuchFile,
    NotADirectory,
    OperationNotPermitted,
    RamdiskFull,
)
from esxistate.layers import RamdiskSpec, Tardisk, resolve_layers
from esxistate.visorfs import VisorFS

NOW = 1_700_000_000


def tardisk(name: str, files: dict[str, tuple[bytes, int]]) -> Tardisk:
    return Tardisk.from_members(name, {p.lstrip("/"): FileEntry(FILE, m, d) for p, (d, m) in files.items()})


def make_fs(etc_kib: int = 64) -> VisorFS:
    fs = VisorFS(
        [
            RamdiskSpec("root", "/", 1024),
            RamdiskSpec("etc", "/etc", etc_kib),
            RamdiskSpec("var", "/var", 256),
            RamdiskSpec("hostdstats", "/var/lib/vmware/hostd/stats", 128),
        ]
    )
    fs.mount(
        tardisk(
            "s.v00",
            {
                "/etc/hosts": (b"127.0.0.1 localhost\n", 0o1644),
                "/etc/pam.d/system-auth": (b"auth required pam_unix.so\n", 0o644),
                "/bin/ls": (b"busybox\n", 0o755),
                "/var/spool/cron/crontabs/root": (b"1 * * * * /sbin/auto-backup.sh\n", 0o600),
            },
        )
    )
    return fs


def test_topmost_tardisk_wins_and_unmounting_it_reveals_the_one_below():
    fs = make_fs()
    fs.mount(tardisk("over.v00", {"/bin/ls": (b"overlay ls\n", 0o755)}))
    assert fs.read("/bin/ls") == b"overlay ls\n"
    res = fs.resolve("/bin/ls")
    assert (res.layer, res.kind, res.shadowed) == ("over.v00", "tardisk", ("s.v00",))
    fs.unmount("over.v00")
    assert fs.read("/bin/ls") == b"busybox\n"
    assert fs.resolve("/bin/ls").shadowed == ()


def test_unmounting_the_only_provider_removes_the_path():
    fs = make_fs()
    fs.mount(tardisk("new.v00", {"/opt/tool/README": (b"hi\n", 0o644)}))
    assert fs.exists("/opt/tool/README") and fs.exists("/opt/tool")
    fs.unmount("new.v00")
    assert not fs.exists("/opt/tool/README")
    with pytest.raises(NoSuchFile):
        fs.read("/opt/tool/README")


def test_edit_to_tardisk_file_branches_onto_ramdisk_and_leaves_tardisk_untouched():
    fs = make_fs()
    td = fs.tardisks[0]
    change = fs.write("/etc/pam.d/system-auth", b"auth sufficient pam_permit.so\n", now=NOW)
    assert change.branched_from == "s.v00" and change.ramdisk == "etc"
    assert change.twin is None  # not sticky: no twin, lost at reboot (F26)
    assert td.members["/etc/pam.d/system-auth"].data == b"auth required pam_unix.so\n"
    res = fs.resolve("/etc/pam.d/system-auth")
    assert (res.layer, res.shadowed, res.branched) == ("etc", ("s.v00",), True)
    assert fs.ramdisk("etc").used == len(b"auth sufficient pam_permit.so\n")


def test_editing_a_sticky_etc_file_keeps_the_original_as_a_dot_hash_twin():
    fs = make_fs()
    change = fs.write("/etc/hosts", b"10.0.0.1 esxi\n", now=NOW)
    assert change.twin == "/etc/.#hosts"
    twin = fs.entry("/etc/.#hosts")
    assert twin.data == b"127.0.0.1 localhost\n"
    assert not twin.sticky and fs.entry("/etc/hosts").sticky
    assert fs.twins() == ["/etc/.#hosts"]
    # the twin is charged to the ramdisk too
    assert fs.ramdisk("etc").used == len(b"10.0.0.1 esxi\n") + len(b"127.0.0.1 localhost\n")
    # a second edit keeps the first twin: it still holds the image's original
    second = fs.write("/etc/hosts", b"10.0.0.2 esxi\n", now=NOW)
    assert second.twin is None and fs.read("/etc/.#hosts") == b"127.0.0.1 localhost\n"


def test_sticky_file_outside_etc_gets_no_twin():
    fs = make_fs()
    fs.write("/var/spool/x", b"a", now=NOW, mode=0o1644)
    change = fs.write("/var/spool/x", b"b", now=NOW)
    assert change.twin is None


def test_nobody_but_visorfs_may_create_or_touch_twins():
    fs = make_fs()
    fs.write("/etc/hosts", b"x\n", now=NOW)
    for op in (
        lambda: fs.write("/etc/.#passwd", b"x", now=NOW),
        lambda: fs.delete("/etc/.#hosts"),
        lambda: fs.chmod("/etc/.#hosts", 0o644, now=NOW),
    ):
        with pytest.raises(OperationNotPermitted) as err:
            op()
        assert err.value.errno_text == "Operation not permitted"


def test_chmod_plus_t_on_a_new_file_does_not_make_it_persisted():
    fs = make_fs()
    fs.write("/etc/mine.conf", b"x", now=NOW)
    fs.chmod("/etc/mine.conf", 0o1644, now=NOW)
    assert fs.entry("/etc/mine.conf").sticky
    assert fs.twins() == []


def test_chmod_of_a_tardisk_file_branches_it():
    fs = make_fs()
    change = fs.chmod("/bin/ls", 0o700, now=NOW)
    assert change.branched_from == "s.v00" and change.ramdisk == "root"
    assert fs.entry("/bin/ls").mode == 0o700
    assert fs.tardisks[0].members["/bin/ls"].mode == 0o755


def test_a_path_belongs_to_the_ramdisk_with_the_longest_mount_point():
    fs = make_fs()
    assert fs.owner("/var/lib/vmware/hostd/stats/x") == "hostdstats"
    assert fs.owner("/var/lib/vmware/other") == "var"
    assert fs.owner("/etcetera") == "root"
    assert fs.owner("/etc") == "etc"


def test_write_that_does_not_fit_raises_ramdisk_full_and_changes_nothing():
    fs = make_fs(etc_kib=1)
    before = (fs.ramdisks, dict(fs.visible()))
    with pytest.raises(RamdiskFull) as err:
        fs.write("/etc/hosts", b"x" * 2000, now=NOW)
    assert err.value.ramdisk == "etc" and err.value.path == "/etc/hosts"
    assert "The ramdisk 'etc' is full.  As a result, the file /etc/hosts could not be written." in str(err.value)
    assert err.value.errno_text == "No space left on device"
    assert (fs.ramdisks, dict(fs.visible())) == before
    assert fs.read("/etc/hosts") == b"127.0.0.1 localhost\n"


def test_twin_that_does_not_fit_blocks_the_whole_write():
    fs = make_fs(etc_kib=1)
    fs.write("/etc/big", b"y" * 1010, now=NOW)
    with pytest.raises(RamdiskFull):
        fs.write("/etc/hosts", b"z", now=NOW)  # 1010 + 1 byte fits in 1024, but the 20-byte twin does not
    assert not fs.exists("/etc/.#hosts")


def test_deleting_a_tardisk_file_leaves_a_whiteout_until_the_tardisk_copy_returns():
    fs = make_fs()
    fs.delete("/etc/pam.d/system-auth")
    assert not fs.exists("/etc/pam.d/system-auth")
    res = fs.resolve("/etc/pam.d/system-auth")
    assert res.deleted and res.layer is None and res.shadowed == ("s.v00",)
    assert "system-auth" not in fs.listdir("/etc/pam.d")
    fs.write("/etc/pam.d/system-auth", b"new\n", now=NOW)
    assert fs.read("/etc/pam.d/system-auth") == b"new\n"
    assert fs.entry("/etc/pam.d/system-auth").mode == 0o644


def test_deleting_a_modified_sticky_file_keeps_its_twin():
    fs = make_fs()
    fs.write("/etc/hosts", b"x\n", now=NOW)
    fs.delete("/etc/hosts")
    assert fs.exists("/etc/.#hosts") and not fs.exists("/etc/hosts")


def test_writes_to_directories_and_missing_parents_fail_like_a_shell():
    fs = make_fs()
    with pytest.raises(IsADirectory):
        fs.write("/etc", b"x", now=NOW)
    with pytest.raises(NoSuchFile):
        fs.write("/etc/nope/file", b"x", now=NOW)
    with pytest.raises(NotADirectory):
        fs.write("/etc/hosts/inner", b"x", now=NOW)
    with pytest.raises(IsADirectory):
        fs.read("/etc")
    with pytest.raises(IsADirectory):
        fs.delete("/etc/pam.d")


def test_mkdir_rmdir_and_non_empty_directories():
    fs = make_fs()
    fs.mkdir("/etc/rc.local.d", now=NOW)
    with pytest.raises(FileExists):
        fs.mkdir("/etc/rc.local.d", now=NOW)
    fs.write("/etc/rc.local.d/local.sh", b"exit 0\n", now=NOW)
    with pytest.raises(DirectoryNotEmpty):
        fs.rmdir("/etc/rc.local.d")
    fs.delete("/etc/rc.local.d/local.sh")
    fs.rmdir("/etc/rc.local.d")
    assert not fs.exists("/etc/rc.local.d")
    with pytest.raises(OperationNotPermitted):
        fs.rmdir("/etc")


def test_listdir_merges_tardisks_and_ramdisks():
    fs = make_fs()
    fs.mount(tardisk("x.v00", {"/etc/x.conf": (b"x", 0o644)}))
    fs.write("/etc/new.conf", b"n", now=NOW)
    assert fs.listdir("/etc") == ["hosts", "new.conf", "pam.d", "x.conf"]
    assert "lib" in fs.listdir("/var")  # the hostdstats mount point's parents are visible
    with pytest.raises(NotADirectory):
        fs.listdir("/etc/hosts")


def test_mounting_a_tardisk_brings_back_a_deleted_path_it_ships():
    fs = make_fs()
    fs.delete("/bin/ls")
    fs.mount(tardisk("ls.v00", {"/bin/ls": (b"new ls\n", 0o755)}))
    assert fs.read("/bin/ls") == b"new ls\n"


def test_ramdisk_copy_keeps_hiding_a_tardisk_mounted_later():
    fs = make_fs()
    fs.write("/bin/ls", b"mine\n", now=NOW)
    fs.mount(tardisk("ls.v00", {"/bin/ls": (b"new ls\n", 0o755)}))
    assert fs.read("/bin/ls") == b"mine\n"
    assert fs.resolve("/bin/ls").shadowed == ("ls.v00", "s.v00")


def test_index_agrees_with_layer_scan_after_mixed_operations():
    fs = make_fs()
    fs.mount(tardisk("a.v00", {"/bin/ls": (b"a\n", 0o755), "/opt/a": (b"a", 0o644)}))
    fs.write("/etc/hosts", b"h\n", now=NOW)
    fs.delete("/bin/ls")
    fs.mount(tardisk("b.v00", {"/opt/a": (b"b", 0o644)}))
    fs.unmount("a.v00")
    for path, entry in fs.visible().items():
        res = resolve_layers(path, fs.tardisks, fs.ramdisks)
        if path != "/" and res.entry is not None:
            assert res.entry == entry, path
    for path in ("/bin/ls", "/opt/a", "/etc/hosts", "/etc/.#hosts"):
        res = resolve_layers(path, fs.tardisks, fs.ramdisks)
        assert (res.entry is not None) == fs.exists(path), path


def test_paths_are_normalised_and_relative_paths_refused():
    from esxistate.errors import InvalidPath

    fs = make_fs()
    assert fs.read("/etc//hosts") == fs.read("/etc/./hosts") == fs.read("/etc/pam.d/../hosts")
    with pytest.raises(InvalidPath):
        fs.read("etc/hosts")


def test_save_and_load_restore_everything():
    fs = make_fs()
    saved = fs.save()
    before = (fs.ramdisks, dict(fs.visible()), fs.tardisks)
    fs.write("/etc/hosts", b"x", now=NOW)
    fs.mount(tardisk("z.v00", {"/z": (b"z", 0o644)}))
    fs.load(saved)
    assert (fs.ramdisks, dict(fs.visible()), fs.tardisks) == before
    assert fs.entry("/etc").kind == DIR


def test_exists_and_entry_normalize_a_path_the_index_does_not_hold_as_written():
    import esxistate as es
    from esxistate.errors import InvalidPath

    h = es.Host.demo("6.7")
    h.boot()
    fs = h.fs
    assert fs.exists("/etc//hosts") and fs.exists("/etc/./hosts") and fs.exists("/etc/vmware/../hosts")
    assert fs.stat("/etc/hosts/") == fs.stat("/etc/hosts")
    assert not fs.exists("/etc/no-such-file") and not fs.exists("/etc/.#no-such-file")
    with pytest.raises(InvalidPath):
        fs.exists("etc/hosts")

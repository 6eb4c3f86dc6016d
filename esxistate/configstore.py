"""ConfigStore (ESXi 7.0+): the SQLite database that holds part of a host's configuration (F35).

At run time it lives at /etc/vmware/configstore/current-store-1; backup.sh saves a copy into local.tgz as
var/lib/vmware/configstore/backup/current-store-1. Ours is a real SQLite file with the `Config` table's main
columns; it holds only the few settings the simulator changes. Built in memory with the stdlib's sqlite3.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile

__all__ = ["initial_store", "read_value", "set_value"]

_SCHEMA = (
    "CREATE TABLE Config (Component TEXT, ConfigGroup TEXT, Name TEXT, Identifier TEXT, ModifiedTime INTEGER, "
    "CreationTime INTEGER, Version TEXT, Success INTEGER, AutoConfValue TEXT, UserValue TEXT, VitalValue TEXT, "
    "CachedValue TEXT, DesiredValue TEXT, Revision INTEGER, "
    "PRIMARY KEY (Component, ConfigGroup, Name, Identifier))"
)


def _load(data: bytes | None) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    if data:
        if hasattr(con, "deserialize"):
            con.deserialize(data)
        else:  # Python 3.10 has no deserialize: go through a private temporary file
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "store")
                with open(path, "wb") as fh:
                    fh.write(data)
                src = sqlite3.connect(path)
                src.backup(con)
                src.close()
    return con


def _dump(con: sqlite3.Connection) -> bytes:
    if hasattr(con, "serialize"):
        return bytes(con.serialize())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "store")
        dst = sqlite3.connect(path)
        con.backup(dst)
        dst.close()
        with open(path, "rb") as fh:
            return fh.read()


def initial_store(*, hostname: str, mtime: int) -> bytes:
    """The store a fresh 7.0 install has: the root account. (The host name stays in esx.conf until 8.0, F35.)"""
    con = _load(None)
    con.execute(_SCHEMA)
    rows = [
        ("esx", "authentication", "user_accounts", "root", {"name": "root", "description": "Administrator"}),
    ]
    for comp, group, name, ident, value in rows:
        con.execute(
            "INSERT INTO Config VALUES (?,?,?,?,?,?,?,1,NULL,?,NULL,NULL,NULL,1)",
            (comp, group, name, ident, mtime, mtime, "1.0", json.dumps(value, sort_keys=True)),
        )
    con.commit()
    out = _dump(con)
    con.close()
    return out


def set_value(data: bytes, component: str, group: str, name: str, identifier: str, value: dict, mtime: int) -> bytes:
    """A copy of the store with one row's UserValue set (inserted if absent) and its Revision counted up."""
    con = _load(data)
    cur = con.execute(
        "SELECT Revision FROM Config WHERE Component=? AND ConfigGroup=? AND Name=? AND Identifier=?",
        (component, group, name, identifier),
    ).fetchone()
    payload = json.dumps(value, sort_keys=True)
    if cur is None:
        con.execute(
            "INSERT INTO Config VALUES (?,?,?,?,?,?,?,1,NULL,?,NULL,NULL,NULL,1)",
            (component, group, name, identifier, mtime, mtime, "1.0", payload),
        )
    else:
        con.execute(
            "UPDATE Config SET UserValue=?, ModifiedTime=?, Revision=? "
            "WHERE Component=? AND ConfigGroup=? AND Name=? AND Identifier=?",
            (payload, mtime, cur[0] + 1, component, group, name, identifier),
        )
    con.commit()
    out = _dump(con)
    con.close()
    return out


def read_value(data: bytes, component: str, group: str, name: str, identifier: str = "") -> dict | None:
    con = _load(data)
    row = con.execute(
        "SELECT UserValue FROM Config WHERE Component=? AND ConfigGroup=? AND Name=? AND Identifier=?",
        (component, group, name, identifier),
    ).fetchone()
    con.close()
    return json.loads(row[0]) if row else None

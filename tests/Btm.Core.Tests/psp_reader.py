#!/usr/bin/env python3
"""An independent reader of PSP packages (docs/psp-format.md), written from the spec alone:
standard library only, `openssl` for Ed25519 and `zstd` for the slots.

Usage: psp_reader.py <package> <trusted public key, 64 hex digits>
Prints the package as JSON; on a refusal prints "<region>: <problem>" on stderr and exits 1.
"""
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

INDEX = 320
ENTRY = 128
SPKI = bytes.fromhex("302a300506032b6570032100")


class Refused(Exception):
    def __init__(self, region, problem):
        super().__init__(f"{region}: {problem}")


def sha(data):
    return hashlib.sha256(data).digest()


def path_ok(path):
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(s not in ("", ".", "..") for s in path.rstrip("/").split("/"))


def name_ok(name, limit):
    return 1 <= len(name) <= limit and all(c in "abcdefghijklmnopqrstuvwxyz0123456789._-" for c in name)


def verify_signature(public_key, message, signature):
    with tempfile.TemporaryDirectory() as scratch:
        key = os.path.join(scratch, "key.der")
        msg = os.path.join(scratch, "message")
        sig = os.path.join(scratch, "signature")
        for file, data in ((key, SPKI + public_key), (msg, message), (sig, signature)):
            with open(file, "wb") as f:
                f.write(data)
        run = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", key, "-rawin", "-in", msg, "-sigfile", sig],
                             capture_output=True)
        return run.returncode == 0


def read_metadata(data):
    records, at, last = {}, 0, 0
    while at < len(data):
        if len(data) - at < 5:
            raise Refused("metadata", "a record header runs past the metadata")
        tag, length = data[at], struct.unpack_from("<I", data, at + 1)[0]
        if tag < 1 or tag > 6 or tag < last or length > len(data) - at - 5:
            raise Refused("metadata", f"bad record tag {tag} at byte {at}")
        try:
            value = data[at + 5:at + 5 + length].decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise Refused("metadata", f"record tag {tag} is not UTF-8")
        records.setdefault(tag, []).append(value)
        last, at = tag, at + 5 + length
    for tag in (1, 2, 3, 4):
        if len(records.get(tag, [])) != 1:
            raise Refused("metadata", f"needs exactly one record of tag {tag}")
    if not name_ok(records[1][0], 64) or not path_ok(records[4][0]):
        raise Refused("metadata", "bad name or entry point")
    return {"name": records[1][0], "version": records[2][0], "platform": records[3][0], "entry": records[4][0],
            "args": records.get(5, []), "env": records.get(6, [])}


def read_tar(name, raw):
    entries, seen = [], set()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        for member in tar:
            path = member.name
            if member.pax_headers or not (member.isfile() or member.isdir()):
                raise Refused(f"slot {name}", f"entry {path} is not a regular file or folder")
            if not path_ok(path) or path in seen:
                raise Refused(f"slot {name}", f"entry path {path!r} is not allowed")
            seen.add(path)
            if member.mtime != 0 or member.uid != 0 or member.gid != 0 or member.uname or member.gname:
                raise Refused(f"slot {name}", f"entry {path} is not normalized")
            entry = {"path": path, "type": "folder" if member.isdir() else "file", "mode": oct(member.mode)}
            if member.isfile():
                entry["size"] = member.size
                entry["sha256"] = sha(tar.extractfile(member).read()).hex()
            entries.append(entry)
    # Ordinal order of the stored names, where a folder's name ends in '/'.
    keys = [(e["path"] + "/" if e["type"] == "folder" else e["path"]).encode() for e in entries]
    if keys != sorted(keys):
        raise Refused(f"slot {name}", "entries are not in path order")
    return entries


def as_packed(data):
    """A PE's Authenticode signature, read away as the spec says: the optional header's checksum and
    certificate-table entry as zero, the table (and up to 7 zero bytes aligning it) not part of the package."""
    data = bytearray(data)
    if len(data) < 0x40 or data[:2] != b"MZ":
        return bytes(data)
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    opt = pe + 24
    if opt + 2 > len(data) or data[pe:pe + 4] != b"PE\0\0":
        return bytes(data)
    dirs = {0x20B: 112, 0x10B: 96}.get(struct.unpack_from("<H", data, opt)[0])
    if dirs is None or opt + dirs + 40 > len(data) or struct.unpack_from("<I", data, opt + dirs - 4)[0] < 5:
        return bytes(data)
    security = opt + dirs + 32
    at, length = struct.unpack_from("<II", data, security)
    end = len(data)
    if at and length and at + length == len(data) and at >= INDEX:
        end = at
        while at - end < 7 and end > INDEX and data[end - INDEX:end - INDEX + 8] != b"BTMPSP01" and data[end - 1] == 0:
            end -= 1
    data[opt + 64:opt + 68] = bytes(4)
    data[security:security + 8] = bytes(8)
    return bytes(data[:end])


def read(path, trusted):
    data = as_packed(open(path, "rb").read())
    if len(data) < INDEX or data[-INDEX:-INDEX + 8] != b"BTMPSP01":
        raise Refused("index", "not a PSP package, or truncated")
    index = data[-INDEX:]
    version, count, flags = struct.unpack_from("<HHI", index, 8)
    launcher, meta_size, table_offset, table_size = struct.unpack_from("<qqqq", index, 16)
    end = len(data) - INDEX
    if version != 1 or flags != 0 or any(index[208:256]) or not 1 <= count <= 64:
        raise Refused("index", "version, flags, reserved bytes or slot count")
    if not (0 <= launcher <= end and 0 <= meta_size <= end - launcher and table_offset == launcher + meta_size
            and table_size == count * ENTRY and table_size <= end - table_offset):
        raise Refused("index", "regions do not follow one another")
    if sha(data[:launcher]) != index[176:208]:
        raise Refused("launcher", "hash differs")
    meta = data[launcher:launcher + meta_size]
    if sha(meta) != index[48:80]:
        raise Refused("metadata", "hash differs")
    table = data[table_offset:table_offset + table_size]
    if sha(table) != index[80:112]:
        raise Refused("table", "hash differs")
    metadata = read_metadata(meta)
    slots, at = [], table_offset + table_size
    for i in range(count):
        row = table[i * ENTRY:(i + 1) * ENTRY]
        name = row[:32].rstrip(b"\0").decode("ascii")
        if not name_ok(name, 31) or any(row[len(name):32]) or row[33] != 1 or row[34] != 1 or not 1 <= row[32] <= 4 or any(row[35:40]):
            raise Refused("table", f"slot {i} is malformed")
        offset, size, raw_size = struct.unpack_from("<qqq", row, 40)
        if offset != at or size < 0 or size > end - at:
            raise Refused(f"slot {name}", "does not follow the previous region")
        packed = data[offset:offset + size]
        if sha(packed) != row[64:96]:
            raise Refused(f"slot {name}", "hash differs")
        raw = subprocess.run(["zstd", "-d", "-c", "-q"], input=packed, capture_output=True, check=True).stdout
        if len(raw) != raw_size or sha(raw) != row[96:128]:
            raise Refused(f"slot {name}", "its tar differs from the table")
        slots.append({"name": name, "purpose": row[32], "offset": offset, "size": size, "raw_size": raw_size,
                      "sha256": row[64:96].hex(), "content_sha256": row[96:128].hex(), "entries": read_tar(name, raw)})
        at += size
    if at != end or sha(data[launcher:end]) != index[112:144]:
        raise Refused("index", "trailing bytes or package checksum")
    if sha(trusted) != index[144:176]:
        raise Refused("signature", "signed by a key that is not trusted")
    if not verify_signature(trusted, data[:-64], data[-64:]):
        raise Refused("signature", "does not verify")
    return {"launcher_size": launcher, "launcher_sha256": index[176:208].hex(), "checksum": index[112:144].hex(),
            "key_id": index[144:176].hex(), "metadata": metadata, "slots": slots}


if __name__ == "__main__":
    try:
        print(json.dumps(read(sys.argv[1], bytes.fromhex(sys.argv[2])), indent=2, sort_keys=True))
    except Refused as e:
        print(e, file=sys.stderr)
        sys.exit(1)

"""The scored month's full detail (`scoring.Results`) packed into bytes, and kept beside its totals.

Leaf-level pages need the engine's whole output, not only the unit totals that `result_cache`
keeps. Scoring again means reading every raw value back from SQL, so the engine's own state —
the combined cell matrix and the per-leaf scores — is stored once per assessment and fingerprint
in `result_detail`, and rebuilt into a `Results` that behaves like the one that was packed.

The format is explicit, never pickle (the database must not be able to run code):

    MAGIC (8 bytes) · raw size (8 bytes, little-endian) · zstd(npz)

The npz (numpy's zip of .npy arrays, loaded with `allow_pickle=False`) holds a JSON manifest
(format version, scheme, entity count, which dict keys exist in which order), every numeric
array as-is, and the frames (`units`, `notes`, the entity labels) as Arrow IPC streams. Texts
travel only inside Arrow or the JSON manifest. Anything unexpected on the way back — unknown
version, bad magic, corrupt bytes (the zip's CRC-32 per member), shapes that do not fit, a scheme
whose input columns differ — is a `ValueError`, which callers treat as a cache miss.
"""

from __future__ import annotations

import dataclasses
import io
import json
import struct
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring import Results, Scheme
from scoring.compare import Comparison
from scoring.engine import LeafScores
from scoring.inputs import CellMatrix, InputColumn, input_columns
from storage.models import ResultDetail
from storage.sql import upsert
from storage.types import utcnow

FORMAT_VERSION = 1
MAGIC = b"KHRDET\x00\x01"
_HEADER = struct.Struct("<8sQ")
# Through pyarrow, already a dependency. At 40,000 units × 40 leaves (50 MB raw): 13.2 MB in
# 0.16 s, where zlib level 1 gives 13.9 MB in 0.7 s.
_CODEC = "zstd"
CURRENT, PUBLISHED = "current", "published"  # the two kinds of detail an assessment keeps
# Errors that decoding untrusted bytes can raise; all mean "not a payload we can use".
_DECODE_ERRORS = (ValueError, KeyError, IndexError, TypeError, OSError, EOFError, zipfile.BadZipFile, pa.ArrowException)


def pack(results: Results) -> bytes:
    """`results` as bytes that `unpack` turns back into an equivalent Results."""
    m: CellMatrix = results._matrix
    sc: LeafScores = results._scores
    arrays: dict[str, np.ndarray] = {}
    frames: dict[str, pd.DataFrame] = {"units": results.units, "notes": m.notes}

    def put(name: str, a: np.ndarray) -> None:
        arrays[name] = np.asarray(a)

    for name in ("value", "na", "vmax", "assessors"):
        if getattr(m, name) is not None:
            put(f"m.{name}", getattr(m, name))
    for i, (v, year) in enumerate(m.figures.values()):
        put(f"m.figure.{i}.value", v)
        put(f"m.figure.{i}.year", year)
    for i, low in enumerate(m.below_minimum.values()):
        put(f"m.below.{i}", low)
    for name in ("earned", "applicable", "met"):
        put(f"s.{name}", getattr(sc, name))
    for i, done in enumerate(sc.done.values()):
        put(f"s.done.{i}", done)
    for i, (rank, peers) in enumerate(sc.peer.values()):
        put(f"s.peer.{i}.rank", rank)
        put(f"s.peer.{i}.peers", peers)
    entities = pd.DataFrame(
        {"period": m.periods, "unit_code": m.unit_codes, "category": m.categories, "unit": _texts(m.units)}
    )
    for i, c in enumerate(sc.compared.values()):
        entities[f"baseline.{i}"] = _texts(c.baseline)
        put(f"s.cmp.{i}.before", c.before)
        put(f"s.cmp.{i}.derived", c.derived)
        put(f"s.cmp.{i}.missing", c.missing)
    for i, (earned, points) in enumerate(sc.tags.values()):
        put(f"s.tag.{i}.earned", earned)
        put(f"s.tag.{i}.points", points)
    frames["entities"] = entities

    manifest = {
        "format": FORMAT_VERSION,
        "scheme": [results.scheme.id, results.scheme.version],
        "entities": len(m.units),
        "columns": _columns_json(m.columns),
        "figures": list(m.figures),
        "below_minimum": list(m.below_minimum),
        "done": list(sc.done),
        "peer": list(sc.peer),
        "compared": list(sc.compared),
        "tags": list(sc.tags),
    }
    arrays["manifest"] = np.frombuffer(json.dumps(manifest, ensure_ascii=False).encode(), dtype=np.uint8)
    for name, frame in frames.items():
        arrays[f"frame.{name}"] = np.frombuffer(_arrow_bytes(frame), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    raw = buf.getbuffer()
    return _HEADER.pack(MAGIC, raw.nbytes) + pa.compress(raw, codec=_CODEC, asbytes=True)


def unpack(scheme: Scheme, payload: bytes) -> Results:
    """The Results packed in `payload`, for `scheme` (the version it was scored with).

    Raises ValueError for anything but an intact payload of this format made for this scheme."""
    try:
        return _unpack(scheme, payload)
    except ValueError:
        raise
    except _DECODE_ERRORS as exc:
        raise ValueError(f"result detail unreadable: {type(exc).__name__}: {exc}") from exc


def _unpack(scheme: Scheme, payload: bytes) -> Results:
    if len(payload) < _HEADER.size:
        raise ValueError("result detail too short")
    magic, size = _HEADER.unpack_from(payload)
    if magic != MAGIC:
        raise ValueError("not a result detail payload")
    # Streamed, so a corrupt size in the header cannot make us allocate it; checked after.
    body = pa.BufferReader(pa.py_buffer(payload)[_HEADER.size :])
    raw = pa.CompressedInputStream(body, _CODEC).read_buffer()
    if raw.size != size:
        raise ValueError("result detail size mismatch")
    with np.load(pa.BufferReader(raw), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}  # every member read: each one's CRC checked
    manifest = json.loads(bytes(arrays.pop("manifest")).decode())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"result detail format {manifest.get('format') if isinstance(manifest, dict) else '?'}")
    if manifest["scheme"] != [scheme.id, scheme.version]:
        raise ValueError("result detail of another scheme version")
    columns = input_columns(scheme)
    if manifest["columns"] != _columns_json(columns):
        raise ValueError("result detail's input columns differ from the scheme's")
    n = manifest["entities"]
    frames = {name: _arrow_frame(arrays.pop(f"frame.{name}")) for name in ("units", "notes", "entities")}
    ent = frames["entities"]
    if len(ent) != n:
        raise ValueError("result detail entity count mismatch")

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        a = arrays[name]
        if a.shape != shape:
            raise ValueError(f"result detail array {name}: shape {a.shape}, expected {shape}")
        return a

    n_col, n_leaf = len(columns), len(scheme.leaves)
    matrix = CellMatrix(
        periods=pd.Categorical(ent["period"]),
        units=ent["unit"].to_numpy(dtype=object),
        unit_codes=pd.Categorical(ent["unit_code"]),
        categories=pd.Categorical(ent["category"]),
        columns=columns,
        value=get("m.value", (n, n_col)),
        na=get("m.na", (n, n_col)),
        vmax=get("m.vmax", (n, n_col)) if "m.vmax" in arrays else None,
        assessors=get("m.assessors", (n, n_col)) if "m.assessors" in arrays else None,
        notes=frames["notes"],
        figures={
            name: (get(f"m.figure.{i}.value", (n,)), get(f"m.figure.{i}.year", (n,)))
            for i, name in enumerate(manifest["figures"])
        },
        below_minimum={code: get(f"m.below.{i}", (n,)) for i, code in enumerate(manifest["below_minimum"])},
    )
    tasks = {leaf.code: len(leaf.tasks) for leaf in scheme.leaves if leaf.method == "checklist"}
    scores = LeafScores(
        earned=get("s.earned", (n, n_leaf)),
        applicable=get("s.applicable", (n, n_leaf)),
        met_given=get("s.met", (n, n_leaf)),
        done={code: get(f"s.done.{i}", (n, tasks[code])) for i, code in enumerate(manifest["done"])},
        peer={
            code: (get(f"s.peer.{i}.rank", (n,)), get(f"s.peer.{i}.peers", (n,)))
            for i, code in enumerate(manifest["peer"])
        },
        compared={
            code: Comparison(
                ent[f"baseline.{i}"].to_numpy(dtype=object),
                get(f"s.cmp.{i}.before", (n,)),
                get(f"s.cmp.{i}.derived", (n,)),
                get(f"s.cmp.{i}.missing", (n,)),
            )
            for i, code in enumerate(manifest["compared"])
        },
        tags={
            tag: (get(f"s.tag.{i}.earned", (n,)), get(f"s.tag.{i}.points", (n,)))
            for i, tag in enumerate(manifest["tags"])
        },
    )
    if len(frames["units"]) != n:
        raise ValueError("result detail units frame does not match its entities")
    return Results(scheme, frames["units"], matrix, scores)


def _texts(a: np.ndarray) -> pd.Series:
    """An object array of labels as a text column (Arrow stores texts; no pickled objects)."""
    if pd.api.types.infer_dtype(a, skipna=False) not in ("string", "empty"):  # C speed, not a loop
        raise TypeError("result detail labels must be texts")
    return pd.Series(a, dtype=object)


def _columns_json(columns: list[InputColumn]) -> list[dict]:
    """The input columns as JSON values, to check a scheme still yields the very same ones
    (through a JSON round trip, so tuples compare as the lists they come back as)."""
    return json.loads(json.dumps([dataclasses.asdict(c) for c in columns], ensure_ascii=False))


def _arrow_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _arrow_frame(data: np.ndarray) -> pd.DataFrame:
    return ipc.open_stream(pa.py_buffer(data.tobytes())).read_all().to_pandas()


# -- the table beside result_cache ------------------------------------------------------------
def store_detail(
    session: Session, assessment_id: int, fingerprint: str, results: Results, *, kind: str = CURRENT
) -> None:
    """Keep `results` as the assessment's detail of `kind` for `fingerprint` (replacing any older one)."""
    values = {
        "assessment_id": assessment_id,
        "kind": kind,
        "fingerprint": fingerprint,
        "computed_at": utcnow(),
        "payload": pack(results),
    }
    upsert(session, ResultDetail, values, ["assessment_id", "kind"])


def load_detail(
    session: Session, assessment_id: int, fingerprint: str, scheme: Scheme, *, kind: str = CURRENT
) -> Results | None:
    """The stored detail of `kind` if it was computed for exactly `fingerprint`; None when there is
    none, it is stale, or its payload cannot be read (then it is simply scored again)."""
    row = session.execute(
        select(ResultDetail.fingerprint, ResultDetail.payload).where(
            ResultDetail.assessment_id == assessment_id, ResultDetail.kind == kind
        )
    ).one_or_none()
    if row is None or row[0] != fingerprint:
        return None
    try:
        return unpack(scheme, bytes(row[1]))
    except ValueError:
        return None

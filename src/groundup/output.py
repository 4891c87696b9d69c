"""Write GroundUp's JSON documents safely and check them against their schema.

A document is validated before it is written and written atomically (to a temporary file in
the same folder, then renamed), so an error never leaves a half-written or damaged file behind
and never overwrites a good earlier result with a broken one. A command that writes several
files (a whole visit, a report) writes them into :func:`staged_folder`, which swaps the complete
set in at the end. Files are written readable by their owner only (0600).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from groundup.errors import GroundUpError, UserEnvironmentError, environment_problem


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A packaged JSON Schema by file stem, e.g. ``"analysis"``."""
    text = (files("groundup") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> Any:
    """One validator per schema (``jsonschema.validate`` checks the schema itself on every call,
    which costs more than the validation; the packaged schemas are checked by the tests
    instead, ``tests/test_schemas.py``)."""
    schema = load_schema(name)
    return jsonschema.validators.validator_for(schema)(schema)


def validate(document: dict[str, Any], schema_name: str) -> None:
    """Raise ``jsonschema.ValidationError`` when the document does not match its schema."""
    error = jsonschema.exceptions.best_match(_validator(schema_name).iter_errors(document))
    if error is not None:
        raise error


def write_json(document: dict[str, Any], path: Path, schema_name: str | None = None) -> Path:
    """Validate (when a schema is named) and write a JSON document atomically."""
    if schema_name is not None:
        try:
            validate(document, schema_name)
        except jsonschema.ValidationError as exc:  # a bug in GroundUp, not the user's input
            raise GroundUpError(
                f"The result does not match the {schema_name} schema ({exc.message}); "
                "nothing was written.",
                "Please report this with the input file type (not the file itself).",
            ) from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise environment_problem(exc, f"to write {path.name}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise environment_problem(exc, f"to write {path.name}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if f"{_NEW_TAG}-" not in str(path.parent):  # a staged file counts once swapped in
        _written.append(path)
    return path


# ---------------------------------------------------------------------------------------------
# One write path for a command's whole output (see docs/decisions/output-folder.md).

OUTPUT_FILE_MODE = 0o600
"""Every file GroundUp writes is readable by its owner only: the results are patient data."""
OUTPUT_DIR_MODE = 0o700
_NEW_TAG = "groundup-new"
_OLD_TAG = "groundup-old"
# A complete staged set inside the output folder whose moves into place have begun: a run killed
# during the moves is finished (rolled forward) by the next run, never left mixed.
_COMMIT_TAG = "groundup-commit"
_COMMIT_LIST = ".groundup-commit.json"
_written: list[Path] = []


def reset_written() -> None:
    """Start a new command: nothing written yet."""
    _written.clear()


def written_so_far() -> list[Path]:
    """Files and folders this process has put in place (for truthful messages on failure)."""
    return list(_written)


def check_output_folder(out: Path) -> None:
    """Refuse an ``--out`` that cannot be a folder, before anything is computed or written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserEnvironmentError(
            f"--out {out.name} is an existing file, not a folder.",
            "Give --out the name of a folder (it is created if needed), or move the file away.",
        )
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserEnvironmentError(
                    f"--out goes through {parent.name}, which is a file, not a folder.",
                    "Give --out a folder path made of folders only.",
                )
            if not os.access(parent, os.W_OK | os.X_OK) and not out.exists():
                raise UserEnvironmentError(
                    f"The folder {parent.name} cannot be written to (permission denied), so "
                    f"--out {out.name} cannot be created there.",
                    "Choose --out in a folder you may write to.",
                )
            break
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise UserEnvironmentError(
            f"The output folder {out.name} cannot be written to (permission denied).",
            "Choose another --out, or change the folder's permissions.",
        )


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftover_pid(name: str, prefix: str) -> int | None:
    """The process id in a staging folder's name ``<prefix><tag>-<pid>-<random>``."""
    for tag in (_NEW_TAG, _OLD_TAG, _COMMIT_TAG):
        head = f"{prefix}{tag}-"
        if name.startswith(head):
            pid_text = name[len(head) :].split("-", 1)[0]
            return int(pid_text) if pid_text.isdigit() else None
    return None


def recover_interrupted(out: Path) -> None:
    """Clean up after a run that was killed: a half-written new folder is removed; where a
    killed swap left the earlier results under their backup name, they are put back; where a
    run was killed while moving a complete set into the folder one file at a time, the moves
    are finished, so the folder holds that whole set."""
    out = Path(out).absolute()
    places = [(out.parent, f".{out.name}.")]
    if out.is_dir():
        places.append((out, "."))
    for folder, prefix in places:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            pid = _leftover_pid(entry.name, prefix)
            if pid is None or _pid_alive(pid):
                continue
            if _OLD_TAG in entry.name and folder == out.parent and not out.exists():
                os.rename(entry, out)
            elif _COMMIT_TAG in entry.name and folder == out:
                _roll_forward(entry, out)
            else:
                shutil.rmtree(entry, ignore_errors=True)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system
    or the file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _link_or_copy(src: Path, dst: Path) -> None:
    """Carry an entry the command does not own into the new folder (hard links: no copy)."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
        shutil.copystat(src, dst)
        for child in src.iterdir():
            _link_or_copy(child, dst / child.name)
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _restrict_modes(folder: Path) -> None:
    for root, dirs, names in os.walk(folder):
        for d in dirs:
            os.chmod(Path(root) / d, OUTPUT_DIR_MODE)
        for n in names:
            p = Path(root) / n
            if not p.is_symlink():
                os.chmod(p, OUTPUT_FILE_MODE)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


@contextmanager
def staged_folder(out: Path, replaces: Callable[[str], bool]) -> Iterator[Path]:
    """Write a command's whole output into a new folder and swap it in only when complete.

    Yields the folder to write into. On success, entries of ``out`` that ``replaces(name)`` does
    not claim (the user's own files, results of other commands) are carried over by hard link,
    and the new folder replaces ``out`` in one atomic rename (Linux; elsewhere two renames, and
    a run killed between them is put right by the next run). Claimed entries that the new run did
    not write are gone: the folder never mixes two runs. On any error, or when the process is
    killed, ``out`` stays exactly as it was; the staging folder is removed (after a kill, by the
    next run into the same folder). Files are 0600 and folders 0700.

    Where ``out`` is the current folder (or holds it), or its parent cannot be written, the new
    files are staged inside ``out`` and moved in one by one at the end instead.
    """
    out = Path(out)
    if out.is_symlink():
        out = out.resolve()
    out = out.absolute()
    try:
        check_output_folder(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(out)
        swap = os.access(out.parent, os.W_OK | os.X_OK) and not _inside(Path.cwd(), out)
        if swap:
            stage = Path(
                tempfile.mkdtemp(prefix=f".{out.name}.{_NEW_TAG}-{os.getpid()}-", dir=out.parent)
            )
        else:
            out.mkdir(exist_ok=True)
            stage = Path(tempfile.mkdtemp(prefix=f".{_NEW_TAG}-{os.getpid()}-", dir=out))
    except OSError as exc:
        raise environment_problem(exc, "to create the output folder") from exc
    try:
        yield stage
        _restrict_modes(stage)
        new_names = sorted(p.name for p in stage.iterdir())
        if swap:
            _swap_in(stage, out, replaces)
        else:
            _move_in(stage, out, replaces)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise environment_problem(exc, "to write the results") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _written.extend(out / n for n in new_names)


def _swap_in(stage: Path, out: Path, replaces: Callable[[str], bool]) -> None:
    if not out.exists():
        os.rename(stage, out)
        return
    for entry in out.iterdir():
        if _leftover_pid(entry.name, ".") is not None or replaces(entry.name):
            continue
        if not (stage / entry.name).exists():
            _link_or_copy(entry, stage / entry.name)
    os.chmod(stage, stat.S_IMODE(out.stat().st_mode))
    if _rename_exchange(stage, out):
        shutil.rmtree(stage, ignore_errors=True)  # now holds the earlier results
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_OLD_TAG}-{os.getpid()}-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _move_in(stage: Path, out: Path, replaces: Callable[[str], bool]) -> None:
    """Put a complete staged set in place inside ``out`` one entry at a time.

    The list of what goes (earlier entries the command claims and did not write again) and what
    comes is written first and the staging folder renamed to its commit name in one step; from
    then on the set is committed: a run killed during the moves is finished by the next run into
    the folder (:func:`recover_interrupted`), so the folder never keeps a mix of two runs."""
    new = sorted(p.name for p in stage.iterdir())
    remove = sorted(
        entry.name
        for entry in out.iterdir()
        if entry != stage
        and _leftover_pid(entry.name, ".") is None
        and replaces(entry.name)
        and entry.name not in new
    )
    listing = stage / _COMMIT_LIST
    with open(listing, "w", encoding="utf-8") as handle:
        json.dump({"remove": remove, "new": new}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    committed = stage.with_name(stage.name.replace(_NEW_TAG, _COMMIT_TAG, 1))
    os.rename(stage, committed)
    _roll_forward(committed, out)


def _roll_forward(committed: Path, out: Path) -> None:
    """Finish the moves of a committed set (idempotent: a repeat after a kill goes on)."""
    try:
        listing = json.loads((committed / _COMMIT_LIST).read_text(encoding="utf-8"))
        remove, new = list(listing["remove"]), list(listing["new"])
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(committed, ignore_errors=True)  # killed before the commit was complete
        return
    for name in remove:
        _remove_entry(out / name)
    for name in new:
        source = committed / name
        if not source.exists() and not source.is_symlink():
            continue  # moved before the kill
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(source, target)
    shutil.rmtree(committed, ignore_errors=True)


def _remove_entry(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    elif entry.exists() or entry.is_symlink():
        entry.unlink()


# An absolute path inside a text: POSIX (/a/b/name) or Windows (C:\a\name, \\server\a\name).
_ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~/])/(?:[^\s/'\"<>|:;,()]+/)+([^\s/'\"<>|:;,()]+)"
    r"|(?<!\w)(?:[A-Za-z]:|\\\\[^\s\\]+)\\(?:[^\s\\'\"<>|:;,()]+\\)*([^\s\\'\"<>|:;,()]+)"
)


def file_names_only(text: str) -> str:
    """``text`` with every absolute path cut to its file name (folders often name a patient)."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or m.group(2) or "", text)


def without_paths(document: Any) -> Any:
    """A copy of a JSON document in which no text holds an absolute path (file names only)."""
    if isinstance(document, dict):
        return {k: without_paths(v) for k, v in document.items()}
    if isinstance(document, list):
        return [without_paths(v) for v in document]
    if isinstance(document, str) and ("/" in document or "\\" in document):
        if document.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", document):
            return re.split(r"[\\/]", document.rstrip("\\/"))[-1]  # a whole path: its name
        return file_names_only(document)
    return document

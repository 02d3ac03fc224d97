"""`tf.io.gfile`: TensorFlow's file API, on the local file system.

Plain paths and `file://` URIs are served, with TF's semantics, which are
not Python's in places: `mkdir` of an existing path succeeds, `glob`'s `*`
matches dot files, `readline` drops every `\\r`, a file opened for writing
is created at the first write. Errors are TF's classes with TF's texts
(`"<path>; No such file or directory"`). Any other scheme raises
`UnimplementedError`, as TF does for a scheme it has no file system for.
"""
from __future__ import annotations

import errno
import operator
import os
import posixpath
import re
import stat as _stat

import numpy as np

from jaxtape._src.framework import errors
from jaxtape._src.framework.exports import export
from jaxtape._src.framework.strings import StringTensor
from jaxtape._src.ops.strings.host import as_string_tensor

_URI = re.compile(r"([a-zA-Z][0-9a-zA-Z.]*)://([^/]*)(.*)\Z", re.S)  # TF's ParseURI
_TF_ONLY_SCHEMES = ("gs", "ram")  # TF registers these; jaxtape has no such file system
_CHUNK = 512 * 1024  # TF reads files through a buffer of this size

# TF's mapping from errno to error class (tsl ErrnoToCode); anything else is UnknownError.
_ERRNO_CLASSES = {
    errors.InvalidArgumentError: "EINVAL ENAMETOOLONG E2BIG EDESTADDRREQ EDOM EFAULT EILSEQ "
                                 "ENOPROTOOPT ENOSTR ENOTSOCK ENOTTY EPROTOTYPE ESPIPE",
    errors.DeadlineExceededError: "ETIMEDOUT ETIME",
    errors.NotFoundError: "ENODEV ENOENT ENXIO ESRCH",
    errors.AlreadyExistsError: "EEXIST EADDRNOTAVAIL EALREADY",
    errors.PermissionDeniedError: "EPERM EACCES EROFS",
    errors.FailedPreconditionError: "ENOTEMPTY EISDIR ENOTDIR EADDRINUSE EBADF EBUSY ECHILD "
                                    "EISCONN ENOTBLK ENOTCONN EPIPE ESHUTDOWN ETXTBSY",
    errors.ResourceExhaustedError: "ENOSPC EDQUOT EMFILE EMLINK ENFILE ENOBUFS ENODATA ENOMEM "
                                   "ENOSR EUSERS",
    errors.OutOfRangeError: "EFBIG EOVERFLOW ERANGE",
    errors.UnimplementedError: "ENOSYS ENOTSUP EAFNOSUPPORT EPFNOSUPPORT EPROTONOSUPPORT "
                               "ESOCKTNOSUPPORT EXDEV",
    errors.UnavailableError: "EAGAIN ECONNREFUSED ECONNABORTED ECONNRESET EINTR EHOSTDOWN "
                             "EHOSTUNREACH ENETDOWN ENETRESET ENETUNREACH ENOLCK ENOLINK ENONET",
    errors.AbortedError: "EDEADLK ESTALE",
    errors.CancelledError: "ECANCELED",
}
_ERRNO = {getattr(errno, n): cls for cls, names in _ERRNO_CLASSES.items()
          for n in names.split() if hasattr(errno, n)}


def _os_error(name: str, e: OSError) -> errors.OpError:
    """TF's error for a failed system call on `name`."""
    cls = _ERRNO.get(e.errno, errors.UnknownError)
    return cls(None, None, f"{name}; {os.strerror(e.errno) if e.errno else e}")


def _as_str(value) -> str:
    """str, bytes or bytearray as str; anything else is TF's TypeError."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError(f"Expected binary or unicode string, got {value!r}")


def _as_bytes(value) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"Expected binary or unicode string, got {value!r}")


def _fspath(path):
    """os.PathLike as str (TF's compat.path_to_str); anything else unchanged."""
    if hasattr(path, "__fspath__"):
        path = path.__fspath__()
        return path.decode("utf-8") if isinstance(path, bytes) else str(path)
    return path


def _name(path) -> str:
    """A path argument (str, bytes, os.PathLike) as the str TF's messages show."""
    return _as_str(_fspath(path))


def _as_str_any(path) -> str:
    """Any path argument as str, as TF's join and walk take it (`str(x)` for a non-path)."""
    path = _fspath(path)
    return path.decode("utf-8") if isinstance(path, bytes) else str(path)


def _split(name: str) -> tuple[str, str]:
    """(`file://host` or "", the path after it) of a name; other schemes raise."""
    m = _URI.match(name)
    if m is None:
        return "", name
    scheme, host, path = m.groups()
    if scheme != "file":
        message = f"File system scheme '{scheme}' not implemented (file: '{name}')"
        if scheme in _TF_ONLY_SCHEMES:
            message += f": jaxtape does not implement the {scheme}:// file system, only local files"
        raise errors.UnimplementedError(None, None, message)
    return f"file://{host}", path


def _os_path(name: str) -> str:
    """The path TF hands the OS for `name`: a plain path cleaned lexically
    ("nope/../f/" is "f", as TF's CleanPath does), a file:// path as written."""
    prefix, path = _split(name)
    if path and not prefix:
        path = posixpath.normpath(path)
        if path.startswith("//"):  # normpath keeps a leading "//"; TF does not
            path = "/" + path.lstrip("/")
    return path.split("\0", 1)[0]  # TF passes C strings: a NUL ends the path


def _local(path) -> tuple[str, str]:
    """(name for messages, OS path) of a path argument."""
    name = _name(path)
    return name, _os_path(name)


# TF's path helpers (tsl io::Dirname / JoinPath), which glob and makedirs follow:
# unlike posixpath they drop only the last slash ("a//b" -> "a/").
def _dirname(path: str) -> str:
    i = path.rfind("/")
    return "" if i < 0 else "/" if i == 0 else path[:i]


def _joinpath(parent: str, child: str) -> str:
    if not parent:
        return child
    return parent + child if parent.endswith("/") else f"{parent}/{child}"


class FileStatistics:
    """What `tf.io.gfile.stat` returns."""

    __slots__ = ("_length", "_mtime_nsec", "_is_directory")

    def __init__(self, length, mtime_nsec, is_directory):
        self._length, self._mtime_nsec, self._is_directory = length, mtime_nsec, is_directory

    length = property(lambda self: self._length, doc="Size in bytes.")
    mtime_nsec = property(lambda self: self._mtime_nsec,
                          doc="Modification time in nanoseconds, whole seconds as in TF.")
    is_directory = property(lambda self: self._is_directory)

    def __repr__(self):
        return (f"FileStatistics(length={self._length}, mtime_nsec={self._mtime_nsec}, "
                f"is_directory={self._is_directory})")


@export("io.gfile.stat")
def stat(path):
    """Length, modification time and kind of `path` (symbolic links followed)."""
    name, local = _local(path)
    try:
        st = os.stat(local)
    except OSError as e:
        raise _os_error(name, e) from None
    return FileStatistics(st.st_size, st.st_mtime_ns // 10**9 * 10**9, _stat.S_ISDIR(st.st_mode))


@export("io.gfile.exists")
def exists(path):
    """Whether `path` exists (a file or a directory)."""
    return os.access(_local(path)[1], os.F_OK)


@export("io.gfile.isdir")
def isdir(path):
    """Whether `path` is a directory; False on any file system error, as in TF."""
    name = _name(path)
    try:
        return os.path.isdir(_os_path(name))
    except errors.OpError:
        return False


@export("io.gfile.listdir")
def listdir(path):
    """The names in directory `path`, in the file system's order, without "." and ".."."""
    if not isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {path}")
    name, local = _local(path)
    try:
        # As bytes, so that a name that is not UTF-8 fails as in TF rather than passing escaped.
        return [n.decode("utf-8") for n in os.listdir(os.fsencode(local))]
    except OSError as e:
        raise _os_error(name, e) from None


@export("io.gfile.mkdir")
def mkdir(path):
    """Creates directory `path` (mode 0755); its parent must exist. An existing path is fine."""
    name, local = _local(path)
    if not local:
        return  # TF treats the empty path as existing
    try:
        os.mkdir(local, 0o755)
    except FileExistsError:
        pass
    except OSError as e:
        raise _os_error(name, e) from None


@export("io.gfile.makedirs")
def makedirs(path):
    """Creates directory `path` and any missing parents."""
    prefix, rest = _split(_name(path))
    missing = []
    while rest:  # up from `path` to the first existing ancestor, which must be a directory
        here = _os_path(prefix + rest)
        if os.access(here, os.F_OK):
            try:
                is_dir = _stat.S_ISDIR(os.stat(here).st_mode)
            except OSError as e:
                raise _os_error(prefix + rest, e) from None
            if not is_dir:  # TF names the path as written here, without file://
                raise errors.FailedPreconditionError(None, None, f"{rest} is not a directory")
            break
        if not rest.endswith("/"):
            missing.append(rest[rest.rfind("/") + 1:])
        parent = _dirname(rest)
        if parent == rest:
            break
        rest = parent
    for part in reversed(missing):
        rest = _joinpath(rest, part)
        try:
            os.mkdir(_os_path(prefix + rest), 0o755)
        except FileExistsError:
            pass
        except OSError as e:
            raise _os_error(prefix + rest, e) from None


@export("io.gfile.remove")
def remove(path):
    """Deletes file `path` (not a directory)."""
    name, local = _local(path)
    try:
        os.unlink(local)
    except OSError as e:
        raise _os_error(name, e) from None


def _real_dir(path: str) -> bool:
    # TF follows symbolic links here and so empties the directories they point
    # to; jaxtape deletes the link itself and never reaches outside the tree.
    return os.path.isdir(path) and not os.path.islink(path)


@export("io.gfile.rmtree")
def rmtree(path):
    """Deletes `path` and everything under it (a file too); raises the first failure."""
    name = _name(path)
    if not os.access(_os_path(name), os.F_OK):
        raise errors.NotFoundError(None, None, f"{name} not found")
    first_error = []

    def attempt(fn, target):
        try:
            fn(_os_path(target))
        except OSError as e:
            first_error.append(_os_error(target, e))

    if not _real_dir(_os_path(name)):
        attempt(os.unlink, name)
    else:
        # Breadth first: delete files on the way, then the directories deepest first.
        queue, dirs = [name], []
        while queue:
            here = queue.pop(0)
            dirs.append(here)
            try:
                children = os.listdir(_os_path(here))
            except OSError as e:
                first_error.append(_os_error(here, e))
                continue
            for child in children:
                child = _joinpath(here, child)
                if _real_dir(_os_path(child)):
                    queue.append(child)
                else:
                    attempt(os.unlink, child)
        for here in reversed(dirs):
            attempt(os.rmdir, here)
    if first_error:
        raise first_error[0]


def _exists_quiet(name: str) -> bool:
    try:
        return os.access(_os_path(name), os.F_OK)
    except errors.OpError:
        return False


@export("io.gfile.copy")
def copy(src, dst, overwrite=False):
    """Copies file `src` to `dst` (with `src`'s permission bits)."""
    src_name, dst_name = _name(src), _name(dst)
    if not overwrite and _exists_quiet(dst_name):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    src_path, dst_path = _os_path(src_name), _os_path(dst_name)
    try:
        st = os.stat(src_path)
        size, mode = st.st_size, st.st_mode & 0o777
        src_fd = os.open(src_path, os.O_RDONLY)
    except OSError as e:
        raise _os_error(src_name, e) from None
    try:
        try:
            dst_fd = os.open(dst_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        except OSError as e:
            raise _os_error(dst_name, e) from None
        try:
            offset = 0
            while offset < size:  # sendfile as TF does, so a directory fails as in TF
                if hasattr(os, "sendfile"):
                    sent = os.sendfile(dst_fd, src_fd, offset, size - offset)
                else:  # pragma: no cover - not Linux
                    sent = os.write(dst_fd, os.pread(src_fd, min(size - offset, _CHUNK), offset))
                if sent <= 0:
                    break
                offset += sent
        except OSError as e:
            raise _os_error(dst_name, e) from None
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)


@export("io.gfile.rename")
def rename(src, dst, overwrite=False):
    """Renames (moves) file or directory `src` to `dst`."""
    src_name, dst_name = _name(src), _name(dst)
    if not overwrite and _exists_quiet(dst_name):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    src_prefix, dst_prefix = _split(src_name)[0], _split(dst_name)[0]
    if bool(src_prefix) != bool(dst_prefix):  # TF serves plain paths and file:// separately
        raise errors.UnimplementedError(None, None, f"Renaming {src_name} to {dst_name} not implemented")
    try:
        os.rename(_os_path(src_name), _os_path(dst_name))
    except OSError as e:
        raise _os_error(src_name, e) from None


@export("io.gfile.join")
def join(path, *paths):
    """`os.path.join`; a URI (`scheme://...`) is joined with "/" on every platform."""
    if "://" in _as_str_any(path)[1:]:
        return posixpath.join(path, *paths)
    return os.path.join(path, *paths)


@export("io.gfile.walk")
def walk(top, topdown=True, onerror=None):
    """Yields `(dirname, subdirs, files)` for `top` and each directory below it.

    A directory that cannot be listed is skipped, after `onerror(error)` if
    given (TF's own walk then fails with UnboundLocalError unless onerror raises).
    Removing names from `subdirs` when `topdown` prunes the walk.
    """
    top = _as_str_any(top)
    try:
        listing = listdir(top)
    except errors.NotFoundError as e:
        if onerror:
            onerror(e)
        return
    subdirs, files = [], []
    for item in listing:
        (subdirs if isdir(join(top, item)) else files).append(item)
    if topdown:
        yield top, subdirs, files
    for subdir in subdirs:
        yield from walk(join(top, subdir), topdown, onerror)
    if not topdown:
        yield top, subdirs, files


# glob: TF's C fnmatch(FNM_PATHNAME) semantics: `*`, `?` and `[...]` never
# match "/", a leading "." needs no explicit match, "\\" escapes.
_CLASSES = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "0-9a-zA-Z", "upper": "A-Z",
            "lower": "a-z", "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f",
            "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "cntrl": "\\x00-\\x1f\\x7f",
            "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e"}
_GLOB_CHARS = "*?[\\"


def _bracket(pattern: str, i: int):
    """The regex of the bracket expression opening at pattern[i], and the index after it;
    None if it is not closed (then "[" is a literal)."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] in "!^"
    j += negate
    items, first = [], True
    while j < len(pattern) and (pattern[j] != "]" or first):
        first = False
        if pattern.startswith("[:", j) and (end := pattern.find(":]", j + 2)) >= 0 \
                and pattern[j + 2:end] in _CLASSES:
            items.append(_CLASSES[pattern[j + 2:end]])
            j = end + 2
            continue
        if pattern[j] == "\\" and j + 1 < len(pattern):
            j += 1
        lo, j = pattern[j], j + 1
        if j + 1 < len(pattern) and pattern[j] == "-" and pattern[j + 1] != "]":
            hi = pattern[j + 1]
            j += 2
            if hi == "\\" and j < len(pattern):
                hi, j = pattern[j], j + 1
            if lo <= hi:  # an empty range matches nothing
                items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    if j >= len(pattern):
        return None
    body = "".join(items)
    if negate:
        return f"[^/{body}]", j + 1
    return (f"(?!/)[{body}]" if body else "(?!)"), j + 1


def _glob_regex(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i + 1 == len(pattern):
                return re.compile("(?!)")  # a trailing backslash matches nothing
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[" and (bracket := _bracket(pattern, i)) is not None:
            out.append(bracket[0])
            i = bracket[1]
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


def _glob_one(pattern: str) -> list[str]:
    if not pattern:
        return []
    prefix, path = _split(pattern)
    fixed = path[:min([path.find(c) for c in _GLOB_CHARS if c in path], default=len(path))]
    if not prefix and not _dirname(fixed):
        path = "./" + path  # so that the first level to list has no wildcard
    # The pattern's directory prefixes, root first: each level is matched in turn.
    levels, d = [], _dirname(path) if pattern.endswith("/") else path
    while d:
        levels.append(d)
        if _dirname(d) == d:
            break
        d = _dirname(d)
    levels.reverse()
    start = next((i for i, d in enumerate(levels) if any(c in d for c in _GLOB_CHARS)), len(levels))
    if start == len(levels):  # no wildcard: the path itself, if it exists
        return [pattern] if os.access(_os_path(pattern), os.F_OK) else []
    if start == 0:
        return []  # a wildcard in a URI's first level ("file://*"): nothing to list
    regexes = [_glob_regex(d) for d in levels]
    results, queue = [], [(levels[start - 1], start - 1)]
    while queue:
        next_queue = []
        for parent, index in queue:
            index += 1
            try:
                children = os.listdir(_os_path(prefix + parent))
            except OSError:
                continue
            for child in children:
                child = _joinpath(parent, child)
                if not regexes[index].fullmatch(child):
                    continue
                if index == len(levels) - 1:
                    results.append(prefix + child)
                elif os.path.isdir(_os_path(prefix + child)):
                    next_queue.append((child, index))
        queue = next_queue
    return results


@export("io.gfile.glob")
def glob(pattern):
    """The paths matching `pattern` (a str, or an iterable of str or bytes patterns).

    `*` and `?` match within one path component (dot files included), `[...]`
    is a character class, `\\` escapes; a relative pattern without a directory
    gives "./"-prefixed paths, as in TF. No match gives [].
    """
    patterns = [pattern] if isinstance(pattern, str) else pattern
    return [match for p in patterns for match in _glob_one(_as_str(p))]


@export("io.gfile.get_registered_schemes")
def get_registered_schemes():
    """The URI schemes jaxtape's gfile serves: "" (plain paths) and "file"."""
    return ["file", ""]


class _Reader:
    """A file read as TF reads it: positioned reads through a buffer, so that
    seeking and reading mix freely, and a directory opens but fails to read."""

    def __init__(self, name: str, path: str):
        self._name, self._fd = name, None
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            raise _os_error(name, e) from None
        self._pos, self._start, self._buf = 0, 0, b""

    def _pread(self, n: int, offset: int) -> bytes:
        try:
            return os.pread(self._fd, n, offset)
        except OSError as e:
            raise _os_error(self._name, e) from None

    def tell(self) -> int:
        return self._pos

    def read(self, n: int) -> bytes:
        if n < 0:
            raise errors.InvalidArgumentError(None, None, f"Can't read a negative number of bytes: {n}")
        i = self._pos - self._start
        parts = [self._buf[i:i + n]] if 0 <= i < len(self._buf) else []
        got = len(parts[0]) if parts else 0
        while got < n:
            data = self._pread(min(n - got, 64 * _CHUNK), self._pos + got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        self._pos += got
        return b"".join(parts)

    def readline(self) -> bytes:
        parts = []
        try:
            while True:
                i = self._pos - self._start
                if not 0 <= i < len(self._buf):
                    self._start, self._buf, i = self._pos, self._pread(_CHUNK, self._pos), 0
                    if not self._buf:
                        break
                j = self._buf.find(b"\n", i)
                end = len(self._buf) if j < 0 else j + 1
                parts.append(self._buf[i:end])
                self._pos += end - i
                if j >= 0:
                    break
        except errors.OpError:
            pass  # TF's readline returns what it read before an error
        return b"".join(parts).replace(b"\r", b"")  # TF drops every "\r", not just before "\n"

    def seek(self, pos: int):
        if pos < 0:
            raise errors.InvalidArgumentError(None, None, f"Seeking to a negative position: {pos}")
        if pos > self._pos and not self._pread(1, pos - 1):
            # Past the end: TF stops at the end and says so.
            self._pos = os.fstat(self._fd).st_size
            raise errors.OutOfRangeError(None, None, "reached end of file")
        self._pos = pos

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    __del__ = close


@export("io.gfile.GFile")
class GFile:
    """A file: `GFile(name, mode)`, mode "r", "w", "a", "r+", "w+" or "a+", with "b" for bytes.

    As in TF the file is opened at the first read or write (so "w" creates
    it then), reading and writing keep separate positions, and writing
    without "a" truncates the file first, "r+" included.
    """

    def __init__(self, name, mode="r"):
        self._name, self._mode = name, mode
        self._binary = "b" in mode
        bare = mode.replace("b", "")
        if bare not in ("r", "w", "a", "r+", "w+", "a+"):
            raise errors.InvalidArgumentError(
                None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._readable = bare in ("r", "r+", "a+", "w+")
        self._writable = bare != "r"
        self._reader = self._writer = None

    name = property(lambda self: self._name, doc="The name it was opened with.")
    mode = property(lambda self: self._mode, doc="The mode it was opened with.")

    def _read_stream(self) -> _Reader:
        if self._reader is None:
            if not self._readable:
                raise errors.PermissionDeniedError(None, None, "File isn't open for reading")
            self._reader = _Reader(*_local(self._name))
        return self._reader

    def _write_stream(self):
        if self._writer is None:
            if not self._writable:
                raise errors.PermissionDeniedError(None, None, "File isn't open for writing")
            name, path = _local(self._name)
            try:
                self._writer = open(path, "ab" if "a" in self._mode else "wb")
            except OSError as e:
                raise _os_error(name, e) from None
        return self._writer

    def _value(self, data: bytes):
        return data if self._binary else data.decode("utf-8")

    def size(self):
        """The file's size on disk (writes not yet flushed are not counted)."""
        return stat(self._name).length

    def write(self, file_content):
        """Writes str (as UTF-8) or bytes, in either mode."""
        writer = self._write_stream()  # opened first, as in TF, even if the content is bad
        data = _as_bytes(file_content)
        try:
            writer.write(data)
        except OSError as e:
            raise _os_error(_name(self._name), e) from None

    def read(self, n=-1):
        """`n` bytes (decoded unless "b") from the position; -1 reads to the end."""
        reader = self._read_stream()
        n = operator.index(n)
        return self._value(reader.read(self.size() - reader.tell() if n == -1 else n))

    def readline(self):
        """The next line with its "\\n"; "" (or b"") at the end."""
        return self._value(self._read_stream().readline())

    def readlines(self):
        """The remaining lines."""
        self._read_stream()
        return list(iter(self.readline, self._value(b"")))

    def seek(self, offset=None, whence=0, position=None):
        """Moves the read position: whence 0 from the start, 1 from here, 2 from the end."""
        reader = self._read_stream()
        if offset is None and position is None:
            raise TypeError("seek(): offset argument required")
        if offset is not None and position is not None:
            raise TypeError("seek(): offset and position may not be set simultaneously.")
        offset = position if offset is None else offset
        if whence == 1:
            offset += reader.tell()
        elif whence == 2:
            offset += self.size()
        elif whence != 0:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid whence argument: {whence}. Valid values are 0, 1, or 2.")
        reader.seek(operator.index(offset))

    def tell(self):
        """The read position (the write position if the mode cannot read)."""
        if self._readable:
            return self._read_stream().tell()
        return self._write_stream().tell()

    def flush(self):
        """Hands buffered writes to the OS (as TF's flush, not an fsync)."""
        if self._writer is not None:
            try:
                self._writer.flush()
            except OSError as e:
                raise _os_error(_name(self._name), e) from None

    def close(self):
        """Closes the file; a later read or write opens it again (writing truncates again)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                writer.close()
            except OSError as e:
                raise _os_error(_name(self._name), e) from None

    def seekable(self):
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration()
        return line

    next = __next__


@export("io.matching_files")
def matching_files(pattern, name=None):
    """`tf.io.matching_files`: the files matching each pattern (a string or vector), as a
    vector of strings, all the patterns' matches sorted together."""
    patterns = as_string_tensor(pattern)._value
    if patterns.ndim > 1:
        raise errors.InvalidArgumentError(
            None, None, "Input patterns tensor must be scalar or vector, but had shape: "
            f"[{','.join(map(str, patterns.shape))}] [Op:MatchingFiles]")
    found = sorted(m.encode() for p in patterns.reshape(-1) for m in glob(_as_str(p)))
    out = np.empty(len(found), object)
    out[:] = found
    return StringTensor(out)

"""tf.io.gfile, differentially against TF.

Each case runs with TF in one fresh directory and with jaxtape in another,
both made by `make_tree` and entered with chdir, so relative paths give
identical error texts; it compares the result (or the error's class and
text) and the directory tree afterwards (names, contents, permission bits).
Read-only listings also run with both on one tree, where even the order of
listdir/walk/glob (the file system's) must agree.
"""
from __future__ import annotations

import os
import pathlib
import re

import pytest

import jaxtape
from difftest import real_tf, requires_tf
from jaxtape._src.framework.errors import NotImplementedInJaxtape

FILES = {"f.txt": b"hello\nworld\nlast", "crlf.txt": b"a\r\nb\rc\n\r\nd\r",
         "utf8.txt": "\u00e7a\n\u00e9".encode(),
         "empty.txt": b"", "ab": b"", "a1.txt": b"", "a[1].txt": b"", "a*b": b"", ".hid": b"",
         "d/a.txt": b"A", "d/.h": b"", "d/sub/b.txt": b"B", "d/sub/deep/c.txt": b"C"}
DIRS = ["d/sub/deep", "d/emptydir", "full/x"]


def make_tree():
    for d in DIRS:
        os.makedirs(d)
    for name, data in FILES.items():
        with open(name, "wb") as f:
            f.write(data)
    with open("full/x/y", "wb") as f:
        f.write(b"y")
    os.chmod("a1.txt", 0o640)


def snapshot(root):
    """{relative path: (permission bits, contents or "<dir>")} of everything under root."""
    out = {}
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(here, name)
            st = os.lstat(path)
            if os.path.islink(path):
                kind = "<link>"
            elif os.path.isdir(path):
                kind = "<dir>"
            else:
                kind = pathlib.Path(path).read_bytes()
            out[os.path.relpath(path, root)] = (oct(st.st_mode & 0o777), kind)
    return out


def normalize(x, root):
    """`x` with the sandbox's absolute path replaced, so both sandboxes compare equal."""
    if isinstance(x, str):  # and object addresses in reprs
        return re.sub(r" at 0x[0-9a-f]+", " at 0x", x.replace(str(root), "<root>"))
    if isinstance(x, bytes):
        return x.replace(os.fsencode(root), b"<root>")
    if isinstance(x, (list, tuple)):
        return type(x)(normalize(v, root) for v in x)
    return x


def outcome(fn, tf, root, message=True):
    try:
        return ("value", normalize(fn(tf), root))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        if isinstance(e, jaxtape.errors.OpError):
            assert getattr(jaxtape.errors, type(e).__name__) is type(e)  # tf.errors.X itself
        return ("raises", type(e).__name__, normalize(str(e), root) if message else None)


def in_sandboxes(tmp_path, monkeypatch, fn, message=True, setup=make_tree):
    """fn(tf) against fn(jaxtape), each in a fresh tree; returns jaxtape's outcome."""
    tf = real_tf()
    results = []
    umask = os.umask(0)  # so that the modes files and directories are created with show
    try:
        for label, mod in (("tf", tf), ("jaxtape", jaxtape)):
            root = tmp_path / label
            root.mkdir()
            monkeypatch.chdir(root)
            setup()
            results.append((outcome(fn, mod, root, message), snapshot(root)))
    finally:
        os.umask(umask)
    (want, want_tree), (got, got_tree) = results
    assert got == want
    assert got_tree == want_tree
    return got


def read(tf, name, mode="r"):
    with tf.io.gfile.GFile(name, mode) as f:
        return f.read()


def write(tf, name, *chunks, mode="w", written=None):
    """Writes the chunks, closes; the file's bytes (at `written` if `name` is not a plain path)."""
    f = tf.io.gfile.GFile(name, mode)
    for chunk in chunks:
        f.write(chunk)
    f.close()
    return pathlib.Path(written or name).read_bytes()


def steps(*fns):
    """Calls in order; the outcome of each (value or error), so later steps still run."""
    def run(tf):
        out = []
        for fn in fns:
            try:
                out.append(("value", fn(tf)))
            except Exception as e:  # noqa: BLE001
                out.append(("raises", type(e).__name__, str(e)))
        return out
    return run


def absolute(name):
    return os.path.abspath(name)


G = lambda tf: tf.io.gfile  # noqa: E731

CASES = {
    # exists
    "exists": lambda tf: [G(tf).exists(p) for p in ("f.txt", "d", "nope", "", "f.txt/x", b"f.txt",
                                                    pathlib.Path("d/a.txt"), "1foo://x")],
    "exists file://": lambda tf: [G(tf).exists("file://" + absolute("f.txt")), G(tf).exists("file://f.txt"),
                                  G(tf).exists("file://" + absolute("nope"))],
    "exists unknown scheme": lambda tf: G(tf).exists("foo://x"),
    "exists s3": lambda tf: G(tf).exists("s3://bucket/x"),
    "exists dotted scheme": lambda tf: G(tf).exists("Foo.b://x"),
    "exists int": lambda tf: G(tf).exists(1),
    "exists None": lambda tf: G(tf).exists(None),
    "exists not utf-8": lambda tf: G(tf).exists(b"\xff"),
    "exists NUL ends the path": lambda tf: G(tf).exists("f.txt\0junk"),
    "paths are cleaned": lambda tf: [G(tf).exists(p) for p in ("f.txt/", "nope/..", "f.txt/.", ".//f.txt",
                                                               "d/sub/../../f.txt", "//" + absolute("f.txt"))],
    "file:// paths are not cleaned": lambda tf: [G(tf).exists("file://" + absolute("nope") + "/.."),
                                                 G(tf).exists("file://" + absolute("f.txt") + "/"),
                                                 G(tf).exists("file://"), G(tf).exists("file://host")],
    "cleaned paths everywhere": lambda tf: [G(tf).stat("nope/../f.txt").length, read(tf, "f.txt/"),
                                            G(tf).listdir("nope/../d/sub"), G(tf).isdir("nope/.."),
                                            G(tf).mkdir("nope/../m"), G(tf).makedirs("nope/../n/o"),
                                            G(tf).remove("nope/../ab/"), G(tf).copy("x/../f.txt", "y/../c"),
                                            G(tf).rename("x/../c", "y/../c2"), G(tf).rmtree("nope/../full"),
                                            write(tf, "w/", "a")],
    "cleaned path in a message": lambda tf: G(tf).stat("f.txt/../nope"),
    "makedirs message keeps the path": lambda tf: G(tf).makedirs("./f.txt/a"),
    "makedirs message keeps dots": lambda tf: G(tf).makedirs("q/../f.txt/a"),
    # isdir
    "isdir": lambda tf: [G(tf).isdir(p) for p in ("d", "d/", "f.txt", "f.txt/", "nope", "", b"d",
                                                  pathlib.Path("d/sub"), "foo://x")],
    "isdir int": lambda tf: G(tf).isdir(1),
    # listdir
    "listdir": lambda tf: [sorted(G(tf).listdir(p)) for p in (".", "d", "d/", b"d", pathlib.Path("d"),
                                                             "d/emptydir")],
    "listdir file://": lambda tf: sorted(G(tf).listdir("file://" + absolute("d"))),
    "listdir returns str": lambda tf: sorted({type(n).__name__ for n in G(tf).listdir(b".")}),
    "listdir missing": lambda tf: G(tf).listdir("nope"),
    "listdir missing bytes": lambda tf: G(tf).listdir(b"nope"),
    "listdir file": lambda tf: G(tf).listdir("f.txt"),
    "listdir empty": lambda tf: G(tf).listdir(""),
    "listdir unknown scheme": lambda tf: G(tf).listdir("foo://x"),
    "listdir int": lambda tf: G(tf).listdir(1),
    # mkdir
    "mkdir": lambda tf: [G(tf).mkdir("new"), G(tf).mkdir("new"), G(tf).mkdir("f.txt"), G(tf).mkdir(""),
                         G(tf).mkdir("slash/"), G(tf).mkdir(b"bytes"), G(tf).mkdir(pathlib.Path("path"))],
    "mkdir missing parent": lambda tf: G(tf).mkdir("nope/x"),
    "mkdir under a file": lambda tf: G(tf).mkdir("f.txt/a"),
    "mkdir file://": lambda tf: G(tf).mkdir("file://" + absolute("uri")),
    "mkdir unknown scheme": lambda tf: G(tf).mkdir("foo://x"),
    "mkdir int": lambda tf: G(tf).mkdir(1),
    "mkdir name too long": lambda tf: G(tf).mkdir("x" * 300),
    # makedirs
    "makedirs": lambda tf: [G(tf).makedirs("m/n/o"), G(tf).makedirs("m/n/o"), G(tf).makedirs("m/n"),
                            G(tf).makedirs(""), G(tf).makedirs("a//b/../c/"), G(tf).makedirs("d/sub/new"),
                            G(tf).makedirs(b"bm/x"), G(tf).makedirs(pathlib.Path("pm/x"))],
    "makedirs absolute": lambda tf: G(tf).makedirs(absolute("abs/x/y")),
    "makedirs file://": lambda tf: G(tf).makedirs("file://" + absolute("uri/x")),
    "makedirs on a file": lambda tf: G(tf).makedirs("f.txt"),
    "makedirs under a file": lambda tf: G(tf).makedirs("f.txt/a/b"),
    "makedirs under a file file://": lambda tf: G(tf).makedirs("file://" + absolute("f.txt/a")),
    "makedirs unknown scheme": lambda tf: G(tf).makedirs("foo://x"),
    "makedirs name too long": lambda tf: G(tf).makedirs("m/" + "x" * 300 + "/y"),
    "makedirs name too long file://": lambda tf: G(tf).makedirs("file://" + absolute("m/" + "x" * 300)),
    "makedirs under a file, host": lambda tf: G(tf).makedirs("file://host" + absolute("f.txt/a")),
    # remove
    "remove": lambda tf: [G(tf).remove("f.txt"), G(tf).remove(b"ab"), G(tf).remove(pathlib.Path("d/a.txt"))],
    "remove missing": lambda tf: G(tf).remove("nope"),
    "remove directory": lambda tf: G(tf).remove("d/emptydir"),
    "remove under a file": lambda tf: G(tf).remove("f.txt/x"),
    "remove empty": lambda tf: G(tf).remove(""),
    "remove file:// missing": lambda tf: G(tf).remove("file://" + absolute("nope")),
    "remove unknown scheme": lambda tf: G(tf).remove("foo://x"),
    # rmtree
    "rmtree": lambda tf: [G(tf).rmtree("d"), G(tf).rmtree("f.txt"), G(tf).rmtree(b"full/")],
    "rmtree file://": lambda tf: G(tf).rmtree("file://" + absolute("d")),
    "rmtree missing": lambda tf: G(tf).rmtree("nope"),
    "rmtree empty": lambda tf: G(tf).rmtree(""),
    "rmtree under a file": lambda tf: G(tf).rmtree("f.txt/x"),
    "rmtree file:// missing": lambda tf: G(tf).rmtree("file://" + absolute("nope")),
    "rmtree unknown scheme": lambda tf: G(tf).rmtree("foo://x"),
    # copy
    "copy": lambda tf: [G(tf).copy("f.txt", "c.txt"), G(tf).copy("a1.txt", "mode.txt"),
                        G(tf).copy(b"f.txt", pathlib.Path("d/c.txt"))],
    "copy onto a file": lambda tf: G(tf).copy("f.txt", "ab"),
    "copy onto a file, overwrite": lambda tf: G(tf).copy("f.txt", "ab", overwrite=True),
    "copy onto itself": lambda tf: G(tf).copy("f.txt", "f.txt"),
    "copy onto itself, overwrite": lambda tf: G(tf).copy("f.txt", "f.txt", overwrite=True),
    "copy missing": lambda tf: G(tf).copy("nope", "c.txt"),
    "copy missing onto existing": lambda tf: G(tf).copy("nope", "ab"),
    "copy onto a directory": lambda tf: G(tf).copy("f.txt", "d"),
    "copy onto a directory, overwrite": lambda tf: G(tf).copy("f.txt", "d", overwrite=True),
    "copy a directory": lambda tf: G(tf).copy("d/emptydir", "d2"),
    "copy into a missing directory": lambda tf: G(tf).copy("f.txt", "nope/x"),
    "copy file://": lambda tf: G(tf).copy("file://" + absolute("f.txt"), "file://" + absolute("u.txt")),
    "copy file:// missing": lambda tf: G(tf).copy("file://" + absolute("nope"), "file://" + absolute("u")),
    "copy from unknown scheme": lambda tf: G(tf).copy("foo://x", "c.txt"),
    "copy to unknown scheme": lambda tf: G(tf).copy("f.txt", "foo://x"),
    "copy unknown scheme onto existing": lambda tf: G(tf).copy("foo://x", "ab"),
    "copy int": lambda tf: G(tf).copy("f.txt", 1),
    # rename
    "rename": lambda tf: [G(tf).rename("f.txt", "r.txt"), G(tf).rename("d", "d2"),
                          G(tf).rename(b"ab", pathlib.Path("d2/ab")), G(tf).rename("crlf.txt", "crlf.txt", True)],
    "rename onto a file": lambda tf: G(tf).rename("f.txt", "ab"),
    "rename onto a file, overwrite": lambda tf: G(tf).rename("f.txt", "ab", overwrite=True),
    "rename onto itself": lambda tf: G(tf).rename("f.txt", "f.txt"),
    "rename missing": lambda tf: G(tf).rename("nope", "r.txt"),
    "rename missing onto existing": lambda tf: G(tf).rename("nope", "ab"),
    "rename into a missing directory": lambda tf: G(tf).rename("f.txt", "nope/x"),
    "rename dir onto empty dir": lambda tf: G(tf).rename("d/sub", "d/emptydir", overwrite=True),
    "rename dir onto full dir": lambda tf: G(tf).rename("d/emptydir", "full", overwrite=True),
    "rename file onto dir": lambda tf: G(tf).rename("f.txt", "d/emptydir", overwrite=True),
    "rename dir onto file": lambda tf: G(tf).rename("d/emptydir", "f.txt", overwrite=True),
    "rename file:// both": lambda tf: G(tf).rename("file://" + absolute("f.txt"), "file://" + absolute("u")),
    "rename plain to file://": lambda tf: G(tf).rename("f.txt", "file://" + absolute("u")),
    "rename unknown scheme": lambda tf: G(tf).rename("f.txt", "foo://x"),
    "rename from unknown scheme": lambda tf: G(tf).rename("foo://x", "u"),
    # stat
    "stat": lambda tf: [(s.length, s.is_directory, type(s.mtime_nsec).__name__, s.mtime_nsec % 10**9)
                        for s in map(G(tf).stat, ("f.txt", b"empty.txt", pathlib.Path("d"),
                                                  "file://" + absolute("utf8.txt")))],
    "stat has mtime_nsec only": lambda tf: [hasattr(G(tf).stat("f.txt"), a)
                                            for a in ("mtime_nsec", "mtime_nsecs", "length", "is_directory")],
    "stat is read-only": lambda tf: setattr(G(tf).stat("f.txt"), "length", 3),
    "stat missing": lambda tf: G(tf).stat("nope"),
    "stat empty": lambda tf: G(tf).stat(""),
    "stat under a file": lambda tf: G(tf).stat("f.txt/x"),
    "stat file:// missing": lambda tf: G(tf).stat("file://" + absolute("nope")),
    "stat unknown scheme": lambda tf: G(tf).stat("foo://x"),
    # join
    "join": lambda tf: [G(tf).join("a", "b", "c"), G(tf).join("a/", "b"), G(tf).join("a", "/b"), G(tf).join("a"),
                        G(tf).join(b"a", b"b"), G(tf).join(pathlib.Path("a"), "b"), G(tf).join("gs://a", "b"),
                        G(tf).join("a", ""), G(tf).join("", "a")],
    "join int": lambda tf: G(tf).join(1),
    "join int part": lambda tf: G(tf).join("a", 1),
    "join str and bytes": lambda tf: G(tf).join("a", b"b"),
    # walk
    "walk missing": lambda tf: list(G(tf).walk("nope")),
    "walk file": lambda tf: list(G(tf).walk("f.txt")),
    "walk int": lambda tf: list(G(tf).walk(1)),
    "walk onerror raises": lambda tf: list(G(tf).walk("nope", onerror=_reraise)),
    "walk pruned": lambda tf: [top for top, dirs, _ in G(tf).walk("d") if dirs.clear() is None],
    # glob errors (matches are compared on one tree below)
    "glob unknown scheme": lambda tf: G(tf).glob("foo://x/*"),
    "glob bytes": lambda tf: G(tf).glob(b"*"),
    "glob path": lambda tf: G(tf).glob(pathlib.Path("ab")),
    "glob path in list": lambda tf: G(tf).glob([pathlib.Path("ab")]),
    "glob None": lambda tf: G(tf).glob(None),
    "glob int in list": lambda tf: G(tf).glob(["ab", 1]),
    # GFile: modes
    "GFile bad mode": lambda tf: G(tf).GFile("f.txt", "q"),
    "GFile mode rw": lambda tf: G(tf).GFile("f.txt", "rw"),
    "GFile mode x": lambda tf: G(tf).GFile("f.txt", "x"),
    "GFile mode int": lambda tf: G(tf).GFile("f.txt", 1),
    "GFile odd b": lambda tf: [read(tf, "f.txt", "br"), read(tf, "f.txt", "rbb")],
    "GFile name and mode": lambda tf: [(f.name, f.mode, f.seekable()) for f in
                                       (G(tf).GFile("f.txt"), G(tf).GFile(b"x", "wb"),
                                        G(tf).GFile(pathlib.Path("y"), "a+"))],
    "GFile public names": lambda tf: sorted(k for k in dir(G(tf).GFile) if not k.startswith("_")),
    # GFile: reading
    "read": lambda tf: [read(tf, "f.txt"), read(tf, "f.txt", "rb"), read(tf, "utf8.txt"), read(tf, "crlf.txt"),
                        read(tf, "empty.txt"), read(tf, "empty.txt", "rb"), read(tf, pathlib.Path("f.txt")),
                        read(tf, b"f.txt"), read(tf, "file://" + absolute("f.txt"))],
    "read missing": lambda tf: read(tf, "nope"),
    "open missing is lazy": lambda tf: G(tf).GFile("nope").name,
    "read directory": lambda tf: read(tf, "d"),
    "read unknown scheme": lambda tf: read(tf, "foo://x"),
    "read n": lambda tf: _chunks(G(tf).GFile("f.txt"), [1, 3, 0, 100, 5]),
    "read n bytes": lambda tf: _chunks(G(tf).GFile("utf8.txt", "rb"), [1, 1, 2, 100]),
    "read n splits a character": lambda tf: G(tf).GFile("utf8.txt").read(1),
    "read negative": lambda tf: G(tf).GFile("f.txt").read(-2),
    "read float": lambda tf: G(tf).GFile("f.txt").read(2.0),
    "read None": lambda tf: G(tf).GFile("f.txt").read(None),
    "readline": lambda tf: _lines(G(tf).GFile("f.txt")),
    "readline drops every CR": lambda tf: [_lines(G(tf).GFile("crlf.txt")), _lines(G(tf).GFile("crlf.txt", "rb"))],
    "readline of directory": lambda tf: G(tf).GFile("d").readline(),
    "readline at end": lambda tf: [G(tf).GFile("empty.txt").readline(), G(tf).GFile("empty.txt", "rb").readline()],
    "readlines": lambda tf: [G(tf).GFile("f.txt").readlines(), G(tf).GFile("crlf.txt", "rb").readlines(),
                             G(tf).GFile("empty.txt").readlines()],
    "iterate": lambda tf: [list(G(tf).GFile("f.txt")), list(G(tf).GFile("utf8.txt", "rb"))],
    "next": lambda tf: _next_twice(G(tf).GFile("f.txt")),
    "next at end": lambda tf: G(tf).GFile("empty.txt").next(),
    "read then readline": lambda tf: _mixed(G(tf).GFile("f.txt")),
    "seek and tell": lambda tf: _seeks(G(tf).GFile("f.txt")),
    "seek past the end": lambda tf: G(tf).GFile("f.txt").seek(17),
    "seek to the end": lambda tf: _seek_tell(G(tf).GFile("f.txt"), 16),
    "tell after seek past the end": lambda tf: steps(lambda _: F(tf).seek(100), lambda _: F(tf).tell(),
                                                     lambda _: F(tf).read())(tf),
    "seek negative": lambda tf: G(tf).GFile("f.txt").seek(-1),
    "seek bad whence": lambda tf: G(tf).GFile("f.txt").seek(0, 3),
    "seek no offset": lambda tf: G(tf).GFile("f.txt").seek(),
    "seek both offsets": lambda tf: G(tf).GFile("f.txt").seek(1, position=2),
    "seek float": lambda tf: G(tf).GFile("f.txt").seek(2.5),
    "seek missing file": lambda tf: G(tf).GFile("nope").seek(0),
    "seek directory": lambda tf: steps(lambda _: D(tf).seek(0), lambda _: D(tf).tell(),
                                       lambda _: D(tf).seek(3))(tf),
    "size": lambda tf: [G(tf).GFile("f.txt").size(), G(tf).GFile("empty.txt", "wb").size()],
    "size missing": lambda tf: G(tf).GFile("nope").size(),
    "closed file reopens": lambda tf: _reopen(G(tf).GFile("f.txt")),
    # GFile: writing
    "write": lambda tf: [write(tf, "w1", "h\u00e9llo\n", b"bytes\n", bytearray(b"ba")),
                         write(tf, "w2", "text", b"b", mode="wb"), write(tf, "f.txt", "new"),
                         write(tf, pathlib.Path("w3"), "p"), write(tf, b"w4", "b", written="w4")],
    "write nothing creates nothing": lambda tf: [G(tf).GFile("w1", "w").close(), G(tf).GFile("f.txt", "w").close(),
                                                 os.path.exists("w1")],
    "write int": lambda tf: G(tf).GFile("w1", "w").write(1),
    "write None": lambda tf: G(tf).GFile("w1", "w").write(None),
    "write memoryview": lambda tf: G(tf).GFile("w1", "w").write(memoryview(b"m")),
    "write in read mode": lambda tf: G(tf).GFile("f.txt").write("x"),
    "write int in read mode": lambda tf: G(tf).GFile("f.txt").write(1),
    "write to missing dir": lambda tf: G(tf).GFile("nope/x", "w").write("x"),
    "write to directory": lambda tf: G(tf).GFile("d", "w").write("x"),
    "write unknown scheme": lambda tf: G(tf).GFile("foo://x", "w").write("x"),
    "write file://": lambda tf: write(tf, "file://" + absolute("w1"), "x", written="w1"),
    "append": lambda tf: [write(tf, "f.txt", "++", mode="a"), write(tf, "new", "a", mode="ab")],
    "append tell": lambda tf: _append_tell(G(tf).GFile("f.txt", "a")),
    "read in write mode": lambda tf: G(tf).GFile("f.txt", "w").read(),
    "readline in append mode": lambda tf: G(tf).GFile("f.txt", "a").readline(),
    "seek in write mode": lambda tf: G(tf).GFile("f.txt", "w").seek(0),
    "tell in write mode": lambda tf: _write_tell(G(tf).GFile("w1", "w")),
    "tell in write mode creates": lambda tf: [G(tf).GFile("w1", "w").tell(), os.path.exists("w1")],
    "tell of a missing file": lambda tf: G(tf).GFile("nope").tell(),
    "tell r+ of a missing file": lambda tf: G(tf).GFile("nope", "r+").tell(),
    "flush": lambda tf: _flush(G(tf).GFile("w1", "w")),
    "flush unopened": lambda tf: [G(tf).GFile("nope").flush(), G(tf).GFile("w1", "w").flush(),
                                  os.path.exists("w1")],
    "close twice": lambda tf: _close_twice(G(tf).GFile("w1", "w")),
    "write after close truncates": lambda tf: _write_after_close(G(tf).GFile("w1", "w")),
    "r+ truncates at the first write": lambda tf: _plus(G(tf).GFile("f.txt", "r+")),
    "r+ write first": lambda tf: _plus(G(tf).GFile("f.txt", "r+"), read_first=False),
    "r+ creates": lambda tf: [G(tf).GFile("new", "r+").write("Z"), pathlib.Path("new").read_bytes()],
    "a+": lambda tf: _plus(G(tf).GFile("f.txt", "a+")),
    "w+": lambda tf: steps(lambda _: W(tf).read(), lambda _: W(tf).write("Z"), lambda _: W(tf).tell(),
                           lambda _: W(tf).read(), lambda _: W(tf).close(),
                           lambda _: pathlib.Path("f.txt").read_bytes())(tf),
    "context manager": lambda tf: _context(tf),
    "GFile int name": lambda tf: G(tf).GFile(1, "w").write("a"),
}
MESSAGE_DIFFERS = {  # TF's text comes from pybind11's argument checks, naming its C++ types
    "stat is read-only", "read float", "read None", "seek float", "GFile int name",
}


def _reraise(error):
    raise error


_FILES = {}


def F(tf):  # noqa: N802 - one GFile per framework, shared by a case's steps
    return _FILES.setdefault(("F", tf.__name__), tf.io.gfile.GFile("f.txt"))


def D(tf):  # noqa: N802
    return _FILES.setdefault(("D", tf.__name__), tf.io.gfile.GFile("d"))


def W(tf):  # noqa: N802
    return _FILES.setdefault(("W", tf.__name__), tf.io.gfile.GFile("f.txt", "w+"))


def _chunks(f, sizes):
    return [(f.read(n), f.tell()) for n in sizes]


def _lines(f):
    return [(f.readline(), f.tell()) for _ in range(5)]


def _next_twice(f):
    return [next(f), f.next(), iter(f) is f]


def _mixed(f):
    return [f.read(3), f.readline(), f.tell(), f.read(2), f.readlines(), f.read()]


def _seeks(f):
    out = []
    for args in [(0,), (2, 1), (3, 1), (-2, 2), (5,), (1,), (0, 2)]:
        f.seek(*args)
        out.append((f.tell(), f.read(3)))
    f.seek(position=4)
    out.append(f.read(1))
    return out


def _seek_tell(f, n):
    f.seek(n)
    return f.tell(), f.read()


def _reopen(f):
    first = f.read(5)
    f.close()
    return first, f.read(), f.tell()


def _append_tell(f):
    return [f.tell(), f.write("++"), f.tell()]


def _write_tell(f):
    return [f.write("abc"), f.tell(), f.write(b"de"), f.tell()]


def _flush(f):
    f.write("abc")
    before = pathlib.Path("w1").read_bytes()  # buffered, as TF's stdio file is
    f.flush()
    return before, pathlib.Path("w1").read_bytes(), f.size()


def _close_twice(f):
    f.write("x")
    return [f.close(), f.close(), pathlib.Path("w1").read_bytes()]


def _write_after_close(f):
    f.write("first")
    f.close()
    f.write("again")
    f.close()
    return pathlib.Path("w1").read_bytes()


def _plus(f, read_first=True):
    calls = [lambda _: f.read()] if read_first else []
    calls += [lambda _: f.write("Z"), lambda _: f.tell(), lambda _: f.read(), lambda _: f.close(),
              lambda _: pathlib.Path("f.txt").read_bytes()]
    return steps(*calls)(None)


def _context(tf):
    with tf.io.gfile.GFile("cm", "w") as f:
        entered = f
        f.write("x")
    after = pathlib.Path("cm").read_bytes()
    with tf.io.gfile.GFile("cm") as g:
        return entered is f, after, g.read(), type(g).__name__


@requires_tf
@pytest.mark.parametrize("case", sorted(CASES))
def test_gfile_matches_tf(case, tmp_path, monkeypatch):
    _FILES.clear()
    in_sandboxes(tmp_path, monkeypatch, CASES[case], message=case not in MESSAGE_DIFFERS)


GLOBS = ["", "*", ".*", "*/", "ab", "ab/", "d", "d/", "./d", "d//sub", "nope", "nope/*", "nope/*/q",
         "d/*", "d/*/", "d/*.txt", "d/sub/*", "d/*/*.txt", "d/*/deep", "*/*", "*/*/*", "d/*/*/*",
         "a[1].txt", "a\\[1].txt", "a[!b]*", "a[^b1]*", "a[]1]*", "a\\*b", "a[", "a[*", "a?", "a??*",
         "[a]b", "a[a-c]*", "a[c-a]*", "a[[:digit:]]*", "a\\", "\\ab", "d[/]sub", "d?sub", "d*sub",
         ".//a?", "d/../a?", "f.txt/*", "*.txt", "?.txt", "**", "d/**/b.txt", "[[:alpha:]]b", "a[!a-z]*",
         "[a-]b", "a[\\]]*", "[a]\\*b", "*[1]*", "a[[:alpha:][:digit:]]*", "[!.]*", "nope/../a?"]


def test_glob_matches_tf_on_one_tree(tmp_path, monkeypatch):
    """Read-only, so TF and jaxtape see one tree: the order (the file system's) must match too."""
    tf = real_tf()
    monkeypatch.chdir(tmp_path)
    make_tree()
    patterns = GLOBS + [absolute("a?"), absolute("") + "/*.txt", absolute("") + "//a?",
                        "file://" + absolute("a?"), "file://" + absolute("ab"), "file://" + absolute("nope"),
                        "file://" + absolute("d") + "/*"]
    for pattern in patterns:
        got, want = jaxtape.io.gfile.glob(pattern), tf.io.gfile.glob(pattern)
        if any(c in pattern.rpartition("/")[0] for c in "*?["):
            got, want = sorted(got), sorted(want)  # TF matches several directories in threads
        assert got == want, pattern
    assert jaxtape.io.gfile.glob(["ab", "a?"]) == tf.io.gfile.glob(["ab", "a?"])
    mixed = [b"ab", bytearray(b"d/*")]
    assert jaxtape.io.gfile.glob(iter(mixed)) == tf.io.gfile.glob(iter(mixed))
    assert jaxtape.io.gfile.glob(("a?",)) == ["./ab"]  # a check on the check: globs do match something
    assert sorted(jaxtape.io.gfile.glob("d/*")) == ["d/.h", "d/a.txt", "d/emptydir", "d/sub"]


def test_listings_match_tf_on_one_tree(tmp_path, monkeypatch):
    tf = real_tf()
    monkeypatch.chdir(tmp_path)
    make_tree()
    for lib in ("listdir", "walk"):
        for arg in (".", "d", b"d", pathlib.Path("d"), "d/", "file://" + absolute("d")):
            fn = {"listdir": lambda g, a: g.listdir(a), "walk": lambda g, a: list(g.walk(a))}[lib]
            assert fn(jaxtape.io.gfile, arg) == fn(tf.io.gfile, arg), (lib, arg)
    for topdown in (True, False):
        assert list(jaxtape.io.gfile.walk("d", topdown)) == list(tf.io.gfile.walk("d", topdown=topdown))
    tops = [top for top, _, _ in jaxtape.io.gfile.walk("d", topdown=False)]
    assert tops[-1] == "d" and tops.index("d/sub/deep") < tops.index("d/sub")  # bottom-up really is
    assert [(s.length, s.mtime_nsec, s.is_directory) for s in map(jaxtape.io.gfile.stat, ["f.txt", "d"])] == \
        [(s.length, s.mtime_nsec, s.is_directory) for s in map(tf.io.gfile.stat, ["f.txt", "d"])]


def test_big_lines_cross_the_read_buffer(tmp_path):
    tf = real_tf()
    path = tmp_path / "big"
    path.write_bytes(b"x" * (600 * 1024) + b"\r\n" + b"y\n" * 70000 + b"tail")
    for mode in ("r", "rb"):
        want, got = tf.io.gfile.GFile(str(path), mode), jaxtape.io.gfile.GFile(str(path), mode)
        assert [len(got.readline()), got.read(10), got.tell()] == \
            [len(want.readline()), want.read(10), want.tell()]
        assert got.readlines() == want.readlines()
        got.seek(3)
        want.seek(3)
        assert got.read() == want.read()


def test_walk_onerror_is_called_then_the_directory_skipped():
    # TF calls onerror too, then fails with UnboundLocalError unless it raised:
    # jaxtape skips the directory, as the docstring intends.
    seen = []
    assert list(jaxtape.io.gfile.walk("/nonexistent/dir", onerror=seen.append)) == []
    assert [(type(e).__name__, str(e)) for e in seen] == [
        ("NotFoundError", "Could not find directory /nonexistent/dir")]
    assert isinstance(seen[0], jaxtape.errors.NotFoundError)


def test_rmtree_deletes_symbolic_links_not_their_targets(tmp_path):
    # TF follows a link to a directory and empties the target, then fails; jaxtape removes the link.
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "keep").write_bytes(b"k")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "link").symlink_to(tmp_path / "target")
    jaxtape.io.gfile.rmtree(str(tmp_path / "tree"))
    assert not (tmp_path / "tree").exists()
    assert (tmp_path / "target" / "keep").read_bytes() == b"k"


@pytest.mark.parametrize("scheme", ["gs", "ram"])
def test_file_systems_tf_has_and_jaxtape_lacks(scheme):
    path = f"{scheme}://bucket/x"
    for call in (lambda g: g.exists(path), lambda g: g.GFile(path).read(), lambda g: g.glob(path + "/*"),
                 lambda g: g.makedirs(path), lambda g: g.copy(path, "y")):
        with pytest.raises(jaxtape.errors.UnimplementedError) as info:
            call(jaxtape.io.gfile)
        assert str(info.value).startswith(f"File system scheme '{scheme}' not implemented (file: '{path}")
        assert f"jaxtape does not implement the {scheme}:// file system" in str(info.value)
    assert jaxtape.io.gfile.isdir(path) is False  # isdir reports errors as False, as in TF


def test_registered_schemes_are_those_served():
    schemes = jaxtape.io.gfile.get_registered_schemes()
    assert sorted(schemes) == ["", "file"]
    assert set(schemes) <= set(real_tf().io.gfile.get_registered_schemes())


def test_public_names_are_tfs():
    tf = real_tf()
    assert dir(jaxtape.io.gfile) == sorted(n for n in dir(tf.io.gfile) if not n.startswith("_"))


def test_missing_name_names_its_tf_path():
    import jaxtape as tf
    message = "^jaxtape does not implement tf.io.gfile.nonexistent_name$"
    with pytest.raises(NotImplementedInJaxtape, match=message):
        tf.io.gfile.nonexistent_name  # noqa: B018
    import jaxtape.io.gfile as module
    assert module is tf.io.gfile and module.exists is tf.io.gfile.exists

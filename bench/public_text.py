"""A several-megabyte public-domain text for the text benches: folk tunes in ABC notation.

ABC is a plain-text music notation (header lines such as ``T: title``, ``M: 6/8``,
``K: G``, then bars of notes: ``|: G2B d2B | c2A F2A :|``); a file of it reads like a
small programming language with a lot of local structure, a good test of a character
model that is not English prose. The text is built from the ABC files music21 ships in
its corpus (``music21/corpus``), taking only the collections whose tunes are traditional
and whose printed sources are long out of copyright:

- ``airdsAirs``: James Aird, *A Selection of Scotch, English, Irish and Foreign Airs*
  (Glasgow, 1782-1803);
- ``essenFolksong``: the Essen Folksong Collection (traditional European and Chinese folk
  songs, from printed song books mostly of the 19th century);
- ``miscFolk``: *The American Veteran Fifer* and *Northumbrian Minstrelsy* (1882);
- ``oneills1850``: Francis O'Neill, *The Music of Ireland* (Chicago, 1903), its 1,850 tunes;
- ``ryansMammoth``: *Ryan's Mammoth Collection* (Boston, 1883).

The melodies are traditional and the books were published before 1927, so they are in
the public domain; music21 redistributes the transcriptions with its (BSD) code.

The build is deterministic: the files are put in the order of the SHA-256 of their path
inside the corpus (a fixed shuffle, so that the held-out last tenth of the text holds
tunes of every collection rather than only the last collection in alphabetical order),
line ends are normalised to ``\\n``, files are joined by one blank line, and the text is
cut to ``cap`` characters (the whole selection is about 4.3 MB, under the default cap).
Its digest is printed with its size, so two machines can check they train on the same text.

    .venv/bin/python bench/public_text.py OUT_DIR [--cap 5000000]
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

COLLECTIONS = ("airdsAirs", "essenFolksong", "miscFolk", "oneills1850", "ryansMammoth")
NAME = "folk_tunes_abc.txt"
CAP = 5_000_000


def corpus_root() -> Path:
    """The folder of music21's bundled corpus."""
    import music21

    return Path(music21.__file__).resolve().parent / "corpus"


def source_files(root: Path | None = None) -> list[Path]:
    """The ABC files of the public-domain collections, in the build's fixed order."""
    root = root or corpus_root()
    files = [p for c in COLLECTIONS for p in (root / c).rglob("*.abc")]
    if not files:
        raise SystemExit(f"no ABC files under {root} (is music21 installed with its corpus?)")
    return sorted(files, key=lambda p: hashlib.sha256(
        p.relative_to(root).as_posix().encode("utf-8")).hexdigest())


def build_text(cap: int = CAP) -> str:
    """The text itself: the files in order, ``\\n`` line ends, at most ``cap`` characters."""
    parts, size = [], 0
    for path in source_files():
        body = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
        body = body.strip("\n") + "\n\n"
        parts.append(body)
        size += len(body)
        if size >= cap:
            break
    return "".join(parts)[:cap]


def build(folder: Path, cap: int = CAP) -> Path:
    """Write the text into ``folder`` (once; a file already there of the same cap is reused).

    Returns:
        The path of the UTF-8 text file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (NAME if cap == CAP else f"folk_tunes_abc_{cap}.txt")
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(build_text(cap), encoding="utf-8", newline="\n")
        tmp.replace(path)
    return path


def describe(path: Path) -> str:
    """One line: characters, bytes, vocabulary size and digest of a built text."""
    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return (f"{path.name}: {len(text):,} characters, {path.stat().st_size:,} bytes, "
            f"{len(set(text))} distinct characters, sha256 {digest}…")


# ---------------------------------------------------------------- Python's own modules

STDLIB_NAME = "python_stdlib.txt"
STDLIB_CAP = 2_500_000


def stdlib_files() -> list[Path]:
    """The top-level modules of this interpreter's standard library (``*.py`` directly in
    its folder: no packages, no tests), in the order of the SHA-256 of their names."""
    import sysconfig

    root = Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in root.glob("*.py") if not p.name.startswith("test")]
    return sorted(files, key=lambda p: hashlib.sha256(p.name.encode("utf-8")).hexdigest())


def build_stdlib(folder: Path, cap: int = STDLIB_CAP) -> Path:
    """Python source code, a text no seqgen default was chosen on: this interpreter's
    standard-library modules (PSF licence), in a fixed order, joined by a blank line, cut
    to ``cap`` characters. The Python version decides the text; ``describe`` prints its
    digest, so two machines can check they train on the same one."""
    import sys

    folder.mkdir(parents=True, exist_ok=True)
    version = "".join(map(str, sys.version_info[:2]))
    path = folder / f"python{version}_stdlib_{cap}.txt"
    if not path.exists():
        write_joined(path, (m.read_text(encoding="utf-8", errors="replace")
                            .replace("\r\n", "\n").strip("\n") + "\n\n"
                            for m in stdlib_files()), cap)
    return path


def write_joined(path: Path, pieces, cap: int) -> None:
    """Write the ``pieces`` (strings) one after the other, cut to ``cap`` characters, to
    ``path`` through a temporary file (a reader never sees half a text); reads no more
    pieces than the cap needs."""
    parts, size = [], 0
    for piece in pieces:
        parts.append(piece)
        size += len(piece)
        if size >= cap:
            break
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(parts)[:cap], encoding="utf-8", newline="\n")
    tmp.replace(path)


# ---------------------------------------------------------------- manual pages in German

MANPAGES_DIR = Path("/usr/share/man/de")
MANPAGES_CAP = 2_000_000
# troff's escapes for the letters German needs, and the few marks the pages use
TROFF_CHARS = {"(:a": "ä", "(:o": "ö", "(:u": "ü", "(:A": "Ä", "(:O": "Ö", "(:U": "Ü",
               "(ss": "ß", "(aq": "'", "(dq": '"', "(lq": "“", "(rq": "”", "(Bq": "„",
               "(em": "—", "(en": "–", "(bu": "•", "(co": "©", "(hy": "-", "(mi": "-",
               "[:a]": "ä", "[:o]": "ö", "[:u]": "ü", "[:A]": "Ä", "[:O]": "Ö", "[:U]": "Ü",
               "[ss]": "ß", "[aq]": "'", "[dq]": '"', "[lq]": "“", "[rq]": "”",
               "[Bq]": "„", "[em]": "—", "[en]": "–", "[bu]": "•", "[co]": "©"}
TROFF_ESCAPE = re.compile(r"\\(\(..|\[[^\]\s]{1,12}\]"  # \(xx, \[name]: a character
                          r"|f[BIRPCW1-4]|f\(..|f\[[^\]]*\]"  # a change of font
                          r"|[-e&| ^~0%:c/,])")  # a hyphen, a backslash, spacing, hints
TEXT_MACROS = re.compile(r"\.(?:SH|SS|B|I|BR|IR|RB|BI|IB|RI|IP|TP|TQ|UR|MT)\b\s*(.*)")


def troff_to_text(source: str) -> str:
    """The running text of a manual page written in troff (the ``man`` macros): comments
    and layout requests dropped, headings and font macros kept as their words, escapes
    turned into the characters they print."""
    def escape(m: re.Match) -> str:
        e = m.group(1)
        if e in TROFF_CHARS:
            return TROFF_CHARS[e]
        return {"-": "-", "e": "\\", " ": " ", "~": " ", "0": " "}.get(e, "")

    lines = []
    for line in source.splitlines():
        if line.startswith((".\\\"", "'\\\"", "\\\"")):
            continue
        if line.startswith((".", "'")):
            macro = TEXT_MACROS.match(line)
            if not macro or not macro.group(1):
                continue
            line = macro.group(1).replace('"', "")
        lines.append(TROFF_ESCAPE.sub(escape, line))
    return "\n".join(lines).strip("\n") + "\n\n"


def build_manpages(folder: Path, cap: int = MANPAGES_CAP, source: Path = MANPAGES_DIR) -> Path:
    """German technical prose, a text no seqgen default was chosen on: the German
    translations of the manual pages this machine has installed (``/usr/share/man/de``:
    dpkg's, apt's and the like, free-software licences), as running text, in the order of
    the SHA-256 of their paths, joined by a blank line, cut to ``cap`` characters. The
    installed packages decide the text; ``describe`` prints its digest.

    Raises:
        SystemExit: the machine has no German manual pages.
    """
    import gzip

    files = sorted(source.rglob("*.gz"), key=lambda p: hashlib.sha256(
        str(p.relative_to(source)).encode("utf-8")).hexdigest()) if source.is_dir() else []
    if not files:
        raise SystemExit(f"no German manual pages in {source}: install the manpages-de "
                         f"package or leave this text out")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"manpages_de_{cap}.txt"
    def pages():
        for page in files:
            try:
                yield troff_to_text(gzip.decompress(page.read_bytes()).decode("utf-8"))
            except (OSError, UnicodeDecodeError):
                continue  # a page that is not gzip'd UTF-8 troff is left out

    if not path.exists():
        write_joined(path, pages(), cap)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the text into")
    parser.add_argument("--cap", type=int, default=CAP, help="at most this many characters")
    args = parser.parse_args()
    path = build(args.out, args.cap)
    print(path)
    print(describe(path))


if __name__ == "__main__":
    main()

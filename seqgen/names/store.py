"""A names file held compactly: one flat id array and the offsets where names start.

A name is a line of the file, lower-cased and stripped; empty lines are skipped. The
file is streamed twice (vocabulary, counts and digest; then the ids), so a file of
2,000,000 names costs about one byte per character plus eight per name, instead of a
Python string per name. Shuffling, the held-out split and the digest are the ones of
the list-of-strings loader they replace (``seqgen/names/model.py::load_names``):
``np.random.RandomState(seed).shuffle`` of the names, the last
``ceil(distinct * val_split)`` distinct names (in order of first appearance after the
shuffle) held out, every copy of a held-out name left out of training, and the sha256 of
``"\\n".join(names)`` in file order.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from seqgen.errors import DataError
from seqgen.textio import DATA_HINT
from seqgen.textstream import Encoder, iter_text
from seqgen.vocab import Vocab

# the characters str.splitlines breaks at (all of them are white space to str.strip)
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
BLOCK = 1 << 20  # characters per block when hashing or writing


def iter_name_blocks(path: str | Path, what: str = "names file",
                     hint: str = DATA_HINT) -> Iterator[list[str]]:
    """Yield the file's names in order, a list per piece read (lower-cased, stripped).

    Lines are split as ``str.splitlines`` splits the whole text; a ``\\r\\n`` cut between
    two pieces only adds an empty line, which is skipped like every empty line.
    """
    carry = ""
    for piece in iter_text(path, what, hint):
        lines = (carry + piece).splitlines(keepends=True)
        carry = lines.pop() if lines and lines[-1][-1] not in LINE_BREAKS else ""
        names = [n for n in (line.lower().strip() for line in lines) if n]
        if names:
            yield names
    if carry and (name := carry.lower().strip()):
        yield [name]


@dataclass(frozen=True)
class NameSplit:
    """Training and held-out names as indices into a :class:`NameStore` (file order)."""

    train: np.ndarray  # (n_train,) in training order (shuffled, held-out names removed)
    val: np.ndarray  # (n_val,) distinct held-out names in order of first appearance


class NameStore:
    """Names back to back as vocabulary ids: name ``i`` is ``ids[offsets[i]:offsets[i+1]]``.

    Attributes:
        ids: ``(chars,)`` uint8 (uint16/uint32 for vocabularies over 256 symbols).
        offsets: ``(count + 1,)`` int64.
        vocab: the names' characters and the newline, sorted.
        digest: sha256 of ``"\\n".join(names)`` in file order.
    """

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, vocab: Vocab, digest: str):
        self.ids, self.offsets, self.vocab, self.digest = ids, offsets, vocab, digest
        self._points = np.array([ord(c) for c in vocab.chars], dtype=np.uint32)  # id -> cp

    @classmethod
    def from_file(cls, path: str | Path, what: str = "names file",
                  hint: str = DATA_HINT) -> NameStore:
        """Read a names file in two streamed passes.

        Raises:
            DataError: unreadable, empty, binary or non-UTF-8 file, or no names in it.
        """
        count, total, chars, sha = 0, 0, {"\n"}, hashlib.sha256()
        for names in iter_name_blocks(path, what, hint):
            joined = "\n".join(names)
            chars.update(joined)
            sha.update((("\n" if count else "") + joined).encode("utf-8"))
            count += len(names)
            total += len(joined) - len(names) + 1
        if count == 0:
            raise DataError(f"{what} has no names in it: {path}")
        vocab = Vocab.from_text(chars)
        encoder = Encoder(vocab.chars)
        ids = np.empty(total, dtype=encoder.dtype)  # (chars,)
        offsets = np.zeros(count + 1, dtype=np.int64)  # (count + 1,)
        at, end = 0, 0
        for names in iter_name_blocks(path, what, hint):
            block = "".join(names)
            if at + len(names) > count or end + len(block) > total:
                break
            lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
            offsets[at + 1:at + 1 + len(names)] = end + np.cumsum(lengths)
            ids[end:end + len(block)] = encoder.encode(block)
            at, end = at + len(names), end + len(block)
        if at != count or end != total:
            raise DataError(f"{what} changed while it was being read: {path}")
        return cls(ids, offsets, vocab, sha.hexdigest())

    def with_vocab(self, vocab: Vocab) -> NameStore:
        """The same names as ids of ``vocab``, which holds every character of this one
        (a fine-tuning run's: the source model's symbols first)."""
        if vocab.chars == self.vocab.chars:
            return self
        encoder = Encoder(vocab.chars)
        lut = encoder.encode("".join(self.vocab.chars))  # old id -> new id
        return NameStore(lut[self.ids].astype(encoder.dtype), self.offsets, vocab, self.digest)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        """``(count,)`` int64 characters per name."""
        return np.diff(self.offsets)

    def encode(self, i: int) -> np.ndarray:
        """The ids of name ``i`` (file order), a view into the flat array."""
        return self.ids[self.offsets[i]:self.offsets[i + 1]]

    def name(self, i: int) -> str:
        return self._points[self.encode(i)].tobytes().decode("utf-32-le")

    def shuffled(self, seed: int) -> np.ndarray:
        """File indices in the order ``np.random.RandomState(seed).shuffle`` puts the names."""
        order = np.arange(len(self), dtype=self._index_type)
        np.random.RandomState(seed).shuffle(order)  # same draws as shuffling the list
        return order

    def _groups(self) -> np.ndarray:
        """``(count,)`` int32/int64: equal names share a group number, different ones not.

        Names are hashed (a polynomial over their ids, mod 2**64), sorted by hash, and
        each pair of neighbours with the same hash is compared character by character,
        so the grouping is exact; on a collision it falls back to grouping the strings.
        """
        n = len(self)
        key = np.empty(n, dtype=np.uint64)
        i0 = 0
        while i0 < n:  # about BLOCK characters at a time
            i1 = int(np.searchsorted(self.offsets, self.offsets[i0] + BLOCK, side="right")) - 1
            i1 = min(n, max(i0 + 1, i1))
            a, b = int(self.offsets[i0]), int(self.offsets[i1])
            starts = self.offsets[i0:i1] - a  # (names,) within the block
            pos = np.arange(b - a, dtype=np.uint64) - np.repeat(
                starts.astype(np.uint64), np.diff(self.offsets[i0:i1 + 1]))  # within a name
            with np.errstate(over="ignore"):
                terms = (self.ids[a:b].astype(np.uint64) + np.uint64(1)) * np.power(
                    np.uint64(0x9E3779B97F4A7C15), pos)
                key[i0:i1] = np.add.reduceat(terms, starts)
            i0 = i1
        by_key = np.argsort(key, kind="stable").astype(self._index_type)  # equal keys adjacent
        sorted_key = key[by_key]
        del key
        same = sorted_key[1:] == sorted_key[:-1]  # (count-1,) neighbour has the same hash
        del sorted_key
        if same.any() and not self._equal_pairs(by_key[:-1][same], by_key[1:][same]):
            return self._groups_exact()
        group = np.empty(n, dtype=self._index_type)
        group[by_key[0]] = 0
        group[by_key[1:]] = np.cumsum(~same, dtype=self._index_type)
        return group

    @property
    def _index_type(self) -> type:
        return np.int32 if len(self) < 2**31 else np.int64

    def _equal_pairs(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether names ``a[k]`` and ``b[k]`` are equal, for every k."""
        for k0 in range(0, len(a), 1 << 16):
            aa, bb = a[k0:k0 + (1 << 16)], b[k0:k0 + (1 << 16)]
            ln = self.offsets[aa + 1] - self.offsets[aa]
            if not np.array_equal(ln, self.offsets[bb + 1] - self.offsets[bb]):
                return False
            within = np.arange(int(ln.sum())) - np.repeat(np.cumsum(ln) - ln, ln)
            if not np.array_equal(self.ids[np.repeat(self.offsets[aa], ln) + within],
                                  self.ids[np.repeat(self.offsets[bb], ln) + within]):
                return False
        return True

    def _groups_exact(self) -> np.ndarray:
        seen: dict[bytes, int] = {}
        return np.array([seen.setdefault(self.encode(i).tobytes(), len(seen))
                         for i in range(len(self))], dtype=np.int64)

    def split(self, shuffle_seed: int, val_split: float) -> NameSplit:
        """Shuffle once and hold out the last ``ceil(distinct * val_split)`` distinct names.

        Raises:
            DataError: ``val_split`` leaves no names to train on.
        """
        order = self.shuffled(shuffle_seed)
        if val_split <= 0:
            return NameSplit(order, np.empty(0, dtype=order.dtype))
        group = self._groups()
        n_groups = int(group.max()) + 1
        first = np.full(n_groups, len(order), dtype=np.int64)  # first place in the shuffle
        np.minimum.at(first, group[order], np.arange(len(order), dtype=order.dtype))
        n_val = int(math.ceil(n_groups * val_split))
        if n_val >= n_groups:
            raise DataError(f"--val-split {val_split} leaves no names to train on")
        by_first = np.argsort(first, kind="stable")  # groups in order of first appearance
        held = np.zeros(n_groups, dtype=bool)
        held[by_first[n_groups - n_val:]] = True
        val = order[first[by_first[n_groups - n_val:]]]
        return NameSplit(order[~held[group[order]]], val)

    def text_blocks(self, order: np.ndarray) -> Iterator[str]:
        """The names ``order`` selects, each followed by a newline, as pieces of text."""
        newline = np.uint32(ord("\n"))
        start = 0
        while start < len(order):
            ahead = order[start:start + (1 << 16)]
            cum = np.cumsum(self.offsets[ahead + 1] - self.offsets[ahead] + 1)
            stop = start + max(1, int(np.searchsorted(cum, BLOCK, side="right")))
            sel = order[start:stop]
            ln = self.offsets[sel + 1] - self.offsets[sel]
            ends = np.cumsum(ln + 1)  # one past each name's newline
            out = np.full(int(ends[-1]), newline, dtype=np.uint32)
            within = np.arange(int(ln.sum())) - np.repeat(np.cumsum(ln) - ln, ln)
            dest = np.repeat(ends - ln - 1, ln) + within
            out[dest] = self._points[self.ids[np.repeat(self.offsets[sel], ln) + within]]
            yield out.tobytes().decode("utf-32-le")
            start = stop

    def write(self, f: BinaryIO, order: np.ndarray) -> None:
        """Write ``"\\n".join(names[order]) + "\\n"`` as UTF-8 to a binary file, in pieces."""
        for block in self.text_blocks(order):
            f.write(block.encode("utf-8"))

    def iter_encoded(self, order: np.ndarray) -> Iterator[np.ndarray]:
        """The ids of the names ``order`` selects, one view per name."""
        for i in order:
            yield self.encode(int(i))


@dataclass(frozen=True)
class NameSet:
    """A names file loaded for training: the store and its split (``load_names``' result)."""

    store: NameStore
    train: np.ndarray  # indices into store, training order
    val: np.ndarray  # indices into store, held-out names

    @property
    def vocab(self) -> Vocab:
        return self.store.vocab

    @property
    def digest(self) -> str:
        return self.store.digest

    def names(self, which: np.ndarray) -> list[str]:
        """The names as strings (for small selections, e.g. the held-out ones)."""
        return [self.store.name(int(i)) for i in which]

    def write_names(self, f: BinaryIO) -> None:
        """The training file's names, training ones then held-out (today's names.txt)."""
        self.store.write(f, np.concatenate([self.train, self.val]))


def load_name_set(path: str | Path, shuffle_seed: int, val_split: float) -> NameSet:
    """Read one name per line, lower-case, shuffle once, hold out the last ``val_split``.

    Raises:
        DataError: unreadable file, no names in it, or nothing left to train on.
    """
    store = NameStore.from_file(path)
    split = store.split(shuffle_seed, val_split)
    return NameSet(store, split.train, split.val)

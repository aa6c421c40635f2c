"""What a SoundFont 2 file holds for a program: its sample zones, their lengths and
whether they are stereo, read from the file's preset, instrument and sample tables (the
``pdta`` chunk; the sample data itself is skipped). A font whose electric piano is 50 ms
of looped waveform sounds like one, whatever the renderer does: this says so in numbers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

INSTRUMENT, SAMPLE_ID = 41, 53  # the generators that point a zone at an instrument, a sample
RIGHT, LEFT = 2, 4  # sample link types of a stereo pair


class SoundFontError(ValueError):
    pass


@dataclass(frozen=True)
class SampleZone:
    name: str
    seconds: float
    stereo: bool


@dataclass(frozen=True)
class Hydra:
    presets: list[tuple]  # (name, preset, bank, bag, library, genre, morphology)
    preset_bags: list[tuple]
    preset_gens: list[tuple]
    instruments: list[tuple]  # (name, bag)
    instrument_bags: list[tuple]
    instrument_gens: list[tuple]
    samples: list[tuple]  # (name, start, end, loop start, loop end, rate, pitch, correction, link, type)


def read_hydra(path: Path) -> Hydra:
    """The ``pdta`` tables of a SoundFont 2 file."""
    path = Path(path)
    chunks: dict[str, bytes] = {}
    with path.open("rb") as f:
        riff, _, kind = struct.unpack("<4sI4s", f.read(12))
        if riff != b"RIFF" or kind != b"sfbk":
            raise SoundFontError(f"{path.name}: not a SoundFont 2 file")
        while head := f.read(8):
            if len(head) < 8:
                break
            cid, size = struct.unpack("<4sI", head)
            if cid == b"LIST" and f.read(4) == b"pdta":
                end = f.tell() + size - 4
                while f.tell() < end:
                    sid, ssize = struct.unpack("<4sI", f.read(8))
                    chunks[sid.decode("ascii", "replace")] = f.read(ssize)
                break
            f.seek(size - 4 if cid == b"LIST" else size + (size & 1), 1)
    if "phdr" not in chunks or "shdr" not in chunks:
        raise SoundFontError(f"{path.name}: no preset or sample tables")

    def rows(name: str, fmt: str) -> list[tuple]:
        n, data = struct.calcsize(fmt), chunks[name]
        return [struct.unpack(fmt, data[i : i + n]) for i in range(0, len(data) - n + 1, n)]

    return Hydra(
        rows("phdr", "<20sHHHIII"),
        rows("pbag", "<HH"),
        rows("pgen", "<HH"),
        rows("inst", "<20sH"),
        rows("ibag", "<HH"),
        rows("igen", "<HH"),
        rows("shdr", "<20sIIIIIBbHH"),
    )


def program_samples(hydra: Hydra, bank: int, program: int) -> list[SampleZone]:
    """The sample zones a program plays (bank 0 for instruments, 128 for drum kits); empty
    when the font lacks it."""
    out = []
    presets = hydra.presets
    for k in range(len(presets) - 1):  # the last header is the terminal record
        if (presets[k][1], presets[k][2]) != (program, bank):
            continue
        for bag in range(presets[k][3], presets[k + 1][3]):
            for gen in range(hydra.preset_bags[bag][0], hydra.preset_bags[bag + 1][0]):
                oper, inst = hydra.preset_gens[gen]
                if oper != INSTRUMENT:
                    continue
                for ibag in range(hydra.instruments[inst][1], hydra.instruments[inst + 1][1]):
                    for igen in range(hydra.instrument_bags[ibag][0], hydra.instrument_bags[ibag + 1][0]):
                        o, sample = hydra.instrument_gens[igen]
                        if o == SAMPLE_ID:
                            s = hydra.samples[sample]
                            name = s[0].split(b"\0")[0].decode("ascii", "replace")
                            out.append(SampleZone(name, (s[2] - s[1]) / max(s[5], 1), s[9] in (RIGHT, LEFT)))
    return out

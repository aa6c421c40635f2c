"""A generated piece voiced as its sound plan asks: each part's General MIDI program set to
the instrument the plan gives its role, and the drum part to the plan's kit.

The generator writes each role with the programs it knows (the model's keys, bass and lead
programs, the composer's); the notes it chose for the role stay as they are, and the plan's
instrument plays them. What was changed is returned, so ``gap_songs.json`` can say what
plays, not only what was asked.
"""

from __future__ import annotations

import pretty_midi

from lofi_assets.core.generation.arrangement import classify
from lofi_assets.core.generation.composer import BASS_PROGRAMS, KEYS_PROGRAMS, LEAD_PROGRAMS
from lofi_assets.core.generation.sound_plan import SoundPlan

# The role each of the generators' own programs plays (the model decodes these, one a role);
# a part on another program is placed by what its notes do (``arrangement.classify``).
GENERATOR_ROLES = {
    **{p: "keys" for p in KEYS_PROGRAMS},
    **{p: "bass" for p in BASS_PROGRAMS},
    **{p: "lead" for p in LEAD_PROGRAMS},
}


def voice(midi: pretty_midi.PrettyMIDI, plan: SoundPlan) -> dict[str, str]:
    """Set each part's program (in place) to the plan's instrument for its role, and the
    drums to the plan's kit when the plan chose one. Returns, per part, what plays now
    ("keys: Electric Piano 1 → Acoustic Guitar (nylon)")."""
    wanted = plan.programs()
    played: dict[str, str] = {}
    for part in classify(midi):
        inst = midi.instruments[part.index]
        role = GENERATOR_ROLES.get(inst.program, part.role) if not inst.is_drum else "drums"
        if inst.is_drum:
            if plan.drums.on and plan.drums.chosen:
                inst.program = plan.drums.kit_program
            played["drums"] = f"kit {inst.program}"
            continue
        program = wanted.get(role)
        if program is None:
            continue
        before = pretty_midi.program_to_instrument_name(inst.program)
        inst.program = program
        after = pretty_midi.program_to_instrument_name(program)
        played[role if role not in played else f"{role} {part.index}"] = (
            after if before == after else f"{before} → {after}"
        )
    return played

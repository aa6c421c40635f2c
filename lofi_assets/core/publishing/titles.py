"""Titles for a plan that has none, and the A/B title variants: the mood words, what the
video is for, the season and the length, found in the plan's own words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.publishing.youtube_limits import TITLE_LIMIT, sanitized, shorten

PLACEHOLDER_TITLES = frozenset({"", "untitled", "new page", "untitled page", "new track", "untitled track"})


# (pattern, word, emoji): the mood words of a title, and the words of a plan that point to each.
# Not the generator's conditioning moods (lofi_assets.core.generation.conditions.MOODS).
TITLE_MOODS = (
    (r"\brain|\bdrizzl|\bstorm|\bthunder", "Rainy", "🌧️"),
    (r"\bsnow|\bfrost", "Snowy", "❄️"),
    (r"\bco[sz]y|\bwarm lamp|\bfireplace|\bblanket|\bcandle", "Cozy", "🕯️"),
    (r"\bjazz", "Jazzy", "🎷"),
    (r"\bdream", "Dreamy", "💭"),
    (r"\bsleep", "Sleepy", "💤"),
    (r"\bmidnight|\bnight", "Late Night", "🌙"),
    (r"\bcoffee|\bcaf[eé]|\bkettle", "Coffee Shop", "☕"),
    (r"\bmorning|\bdawn|\bsunrise|\bbreakfast", "Morning", "🌅"),
    (r"\bsun(?:ny|light|shine|set)?\b|\bgolden hour", "Sunny", "☀️"),
    (r"\bneon|\bsynthwave|\bvaporwave|\bcity lights", "Neon", "🌃"),
    (r"\bnostalg|\bretro|\bvintage", "Nostalgic", "📼"),
    (r"\bmelanchol|\bsad\b|\bwistful|\blonely", "Melancholic", "🥀"),
    (r"\bupbeat|\buplifting|\bhappy|\bbright", "Uplifting", "✨"),
    (r"\bpeaceful|\bcalm|\bserene|\btranquil|\bgentle", "Calm", "🍃"),
    (r"\bchill|\bmellow|\blaid[- ]back", "Chill", "🎧"),
)


FALLBACK_MOODS = ("Chill", "Mellow")


# (key, pattern, phrase, noun): what the video is for, most specific first (ties).
USE_CASES = (
    ("study", r"\bstud(?:y|ie|yi)|\bhomework|\bexams?\b|\brevision", "for Studying", "Study"),
    ("sleep", r"\bsleep|\bbedtime|\binsomnia", "for Sleeping", "Sleep"),
    ("focus", r"\bfocus|\bconcentrat|\bdeep ?work", "for Deep Focus", "Focus"),
    ("coding", r"\bcod(?:e|ing)\b|\bcoding|\bprogramm", "for Coding", "Coding"),
    ("work", r"\bwork(?:ing|day)?\b|\boffice\b|\bproductiv", "for Working", "Work"),
    ("reading", r"\breading|\bread\b|\bbooks?\b", "for Reading", "Reading"),
    ("relax", r"\brelax|\bunwind|\bwind(?:ing)? down|\bchill(?:ing)? out", "for Relaxing", "Chill"),
)


DEFAULT_USE_CASE = "relax"


SEASONS = {
    12: "Winter",
    1: "Winter",
    2: "Winter",
    3: "Spring",
    4: "Spring",
    5: "Spring",
    6: "Summer",
    7: "Summer",
    8: "Summer",
    9: "Autumn",
    10: "Autumn",
    11: "Autumn",
}


SEASON_EMOJI = {"Winter": "❄️", "Spring": "🌸", "Summer": "☀️", "Autumn": "🍂"}


_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


@dataclass(frozen=True)
class TitleParts:
    """The words a title is made of."""

    moods: tuple[str, str]
    mood_emoji: str
    use_case: str
    season: str
    length: str | None  # "1 Hour", "45 Minutes"
    hook: str | None  # the anchor phrase, a theme, or the journey from the first arc to the last

    @property
    def use_phrase(self) -> str:
        return next(u[2] for u in USE_CASES if u[0] == self.use_case)

    @property
    def use_noun(self) -> str:
        return next(u[3] for u in USE_CASES if u[0] == self.use_case)

    @property
    def season_emoji(self) -> str:
        return SEASON_EMOJI[self.season]


def has_real_title(plan: TrackPlan) -> bool:
    """False for an empty or placeholder title ("Untitled", "New page", the partition key)."""
    title = re.sub(r"\s+", " ", plan.title or "").strip()
    return title.casefold() not in PLACEHOLDER_TITLES and title != plan.key


def season_of(when: date) -> str:
    """The northern-hemisphere season of a date, by month (December starts winter)."""
    return SEASONS[when.month]


def length_phrase(duration_s: float) -> str | None:
    """ "1 Hour", "3 Hours" (within a minute of whole hours), else "45 Minutes"."""
    minutes = round(duration_s / 60)
    if minutes < 1:
        return None
    hours = round(minutes / 60)
    if hours >= 1 and abs(minutes - hours * 60) <= 1:
        return f"{hours} Hour{'s' if hours > 1 else ''}"
    return f"{minutes} Minute{'s' if minutes > 1 else ''}"


def _without_negations(text: str) -> str:
    """'no vocals', 'without drums': words a plan rules out are not its mood."""
    return re.sub(r"\b(?:no|without|not|zero)\s+[\w-]+", " ", text, flags=re.IGNORECASE)


def _mood_text(plan: TrackPlan) -> str:
    parts = [plan.mood_arc, plan.theme, plan.vibe, plan.anchor_phrase, plan.title if has_real_title(plan) else None]
    parts += [a.name for a in plan.arcs]
    return _without_negations(" \n ".join(p for p in parts if p))


def detect_moods(plan: TrackPlan) -> tuple[tuple[str, str], str]:
    """The two mood words the plan uses most (first mention breaks ties) and the emoji of
    the first; padded with "Chill"/"Mellow" when the plan names fewer."""
    text = _mood_text(plan)
    found = []
    for pattern, word, emoji in TITLE_MOODS:
        hits = [m.start() for m in re.finditer(pattern, text, re.IGNORECASE)]
        if hits:
            found.append((-len(hits), hits[0], word, emoji))
    found.sort()
    words = [w for _, _, w, _ in found]
    emoji = found[0][3] if found else "🎧"
    for extra in FALLBACK_MOODS:
        if len(words) < 2 and extra not in words:
            words.append(extra)
    return (words[0], words[1]), emoji


def _use_case_texts(plan: TrackPlan) -> tuple[str, str]:
    """What the plan says to the viewer (title, theme, vibe, description, hashtags), and
    what it says elsewhere (mood arc, arcs, prompts, hidden tags)."""
    # '#studymusic' → 'studymusic': a word start for the patterns.
    hashtags = " ".join(h.lstrip("#") for h in plan.visible_hashtags)
    primary = [plan.title if has_real_title(plan) else None, plan.theme, plan.vibe, plan.description, hashtags]
    secondary = [plan.mood_arc, ", ".join(plan.hidden_tags)]
    secondary += [f"{a.name} {a.description}" for a in plan.arcs] + [p.text for p in plan.prompts]
    return tuple(_without_negations(" \n ".join(p for p in parts if p)) for parts in (primary, secondary))


def detect_use_case(plan: TrackPlan) -> str | None:
    """study, sleep, focus, coding, work, reading or relax: the one the plan mentions most
    in its title, theme, vibe, description and hashtags (else in its mood arc, arcs,
    prompts and hidden tags); None when it mentions none."""
    for text in _use_case_texts(plan):
        counts = [
            (len(re.findall(pattern, text, re.IGNORECASE)), -n, key) for n, (key, pattern, _, _) in enumerate(USE_CASES)
        ]
        best = max(counts)
        if best[0]:
            return best[2]
    return None


def use_case_playlist(plan: TrackPlan) -> str:
    """The playlist a video joins by what it is for: 'Lofi for Studying', 'Lofi for Sleeping'."""
    use_case = detect_use_case(plan) or DEFAULT_USE_CASE
    return "Lofi " + next(u[2] for u in USE_CASES if u[0] == use_case)


def title_case(text: str) -> str:
    """'rain on the glass' → 'Rain on the Glass'; words already capitalised are kept."""
    words = text.split()
    return " ".join(
        w if (n and w.lower() in _SMALL_WORDS) or not w[:1].islower() else w[:1].upper() + w[1:]
        for n, w in enumerate(words)
    )


def hook_of(plan: TrackPlan) -> str | None:
    """A short phrase that names this video: the anchor phrase, the theme's first clause,
    or the journey from the first arc to the last."""
    if plan.anchor_phrase and len(plan.anchor_phrase) <= 40:
        return title_case(sanitized(plan.anchor_phrase))
    if plan.theme:
        clause = re.split(r"[,;:.—–]| - ", plan.theme)[0].strip()
        clause = re.sub(r"^(?:a|an|the)\s+", "", clause, flags=re.IGNORECASE)
        if 0 < len(clause) <= 40:
            return title_case(sanitized(clause))
    if len(plan.arcs) >= 2:
        return f"{sanitized(plan.arcs[0].name)} to {sanitized(plan.arcs[-1].name)}"
    return None


def title_parts(plan: TrackPlan, duration_s: float, when: date) -> TitleParts:
    moods, emoji = detect_moods(plan)
    return TitleParts(
        moods=moods,
        mood_emoji=emoji,
        use_case=detect_use_case(plan) or DEFAULT_USE_CASE,
        season=season_of(when),
        length=length_phrase(duration_s),
        hook=hook_of(plan),
    )


def generated_title(parts: TitleParts) -> str:
    """Mood, season and use case: 'Rainy Autumn Lofi for Studying 🍂 Cozy Beats (1 Hour)'."""
    first, second = parts.moods
    text = f"{first} {parts.season} Lofi {parts.use_phrase} {parts.season_emoji} {second} Beats"
    return shorten(text + (f" ({parts.length})" if parts.length else ""), TITLE_LIMIT)


def use_case_title(parts: TitleParts) -> str:
    """Use case first: '1 Hour of Rainy Lofi for Studying 🌧️ Rain on the Glass'."""
    head = f"{parts.length} of {parts.moods[0]} Lofi" if parts.length else f"{parts.moods[0]} Lofi"
    text = f"{head} {parts.use_phrase} {parts.mood_emoji}" + (f" {parts.hook}" if parts.hook else "")
    return shorten(text, TITLE_LIMIT)


def season_title(parts: TitleParts) -> str:
    """Season first: 'Autumn Study Session 🍂 Rainy & Cozy Lofi (1 Hour)'."""
    text = f"{parts.season} {parts.use_noun} Session {parts.season_emoji} {parts.moods[0]} & {parts.moods[1]} Lofi"
    return shorten(text + (f" ({parts.length})" if parts.length else ""), TITLE_LIMIT)


def title_variants(title: str, parts: TitleParts) -> list[str]:
    """2–3 distinct titles for A/B tests, the chosen title first; deterministic."""
    out: list[str] = []
    candidates = (title, use_case_title(parts), generated_title(parts), season_title(parts))
    for candidate in candidates:
        if candidate.casefold() not in {v.casefold() for v in out}:
            out.append(candidate)
    return out[:3]


HEADLINE_BREAKS = (" — ", " – ", " | ", " - ", " (")  # where a long title's headline ends


def headline_candidates(title: str) -> list[str]:
    """The title, then the shorter headlines a thumbnail can carry when the whole title
    does not fit: the part before a dash or a bar, then before a parenthesis ("Rainy Dusk
    Coding Desk — 3 Hour Lo-Fi … (Royalty Free)" → "Rainy Dusk Coding Desk")."""
    out = [title.strip()]
    for mark in HEADLINE_BREAKS:
        head = title.split(mark)[0].strip()
        if mark in title and head and head not in out:
            out.append(head)
    return sorted(out, key=len, reverse=True)


def subtitle_candidates(mood_arc: str) -> list[str]:
    """The mood arc, then its first and last phase ("Golden Hour Warmth → Gentle Ending"),
    then nothing: a five-phase arc rarely fits one line of a thumbnail."""
    phases = [p.strip() for p in mood_arc.split("→") if p.strip()]
    out = [mood_arc.strip()]
    if len(phases) > 2:
        out.append(f"{phases[0]} → {phases[-1]}")
    return [s for s in out if s] + [""]

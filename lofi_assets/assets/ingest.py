"""Ingest: track plans from Notion."""

import json

import dagster as dg

from lofi_assets import asset_files
from lofi_assets.core.ingest.plan import TrackPlan, validate_plan_dict
from lofi_assets.core.ingest.plan_parser import PlanParseError, parse_track_plan
from lofi_assets.core.ingest.sources import PageNotFound, SourceError
from lofi_assets.core.tables import markdown_bullets
from lofi_assets.partitions import tracks_partitions
from resources import NotionResource, StorageResource


def fetch_track_plan(notion: NotionResource, key: str) -> tuple[TrackPlan, str]:
    """Fetch page ``key`` from the configured source and parse it; also the source's own
    edit time of the page (what the sensor compares; a page's "Last edited" property,
    which the plan prefers, may say otherwise)."""
    source = notion.open_source()
    document = source.fetch(key)
    plan = parse_track_plan(
        document.markdown,
        key=key,
        source=document.ref.location,
        fallback_title=document.ref.title,
        last_edited=document.ref.edited_iso,
        warnings=document.warnings,
    )
    return plan, document.ref.edited_iso


def read_track_plan(notion: NotionResource, key: str) -> TrackPlan:
    """Fetch page ``key`` from the configured source and parse it."""
    return fetch_track_plan(notion, key)[0]


def check_plan_file(path, plan: TrackPlan) -> dg.AssetCheckResult:
    """Re-read the written plan: it decodes, matches the schema, and holds what we parsed."""
    problems: list[str] = []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        data, problems = None, [f"cannot read back {path}: {exc}"]
    if data is not None:
        problems = validate_plan_dict(data)
        if len(data.get("arcs", [])) != len(plan.arcs) or len(data.get("prompts", [])) != len(plan.prompts):
            problems.append("arc or prompt count differs from the parsed plan")
    return dg.AssetCheckResult(
        check_name="plan_file_valid",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": "\n".join(problems) or "none", "path": str(path)},
    )


def arcs_table(plan: TrackPlan) -> str:
    rows = ["| # | Arc | BPM | Prompts | Done |", "|---|---|---|---|---|"]
    for arc in plan.arcs:
        prompts = plan.prompts_in_arc(arc.number)
        bpm = f"{arc.bpm_min:g}–{arc.bpm_max:g}" if arc.bpm_min is not None else "—"
        done = sum(1 for p in prompts if p.checked)
        rows.append(f"| {arc.number} | {arc.emoji or ''} {arc.name} | {bpm} | {len(prompts)} | {done} |")
    return "\n".join(rows)


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="ingest",
    kinds={"notion", "json"},
    pool="notion",
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "plan_file_valid",
            asset="notion_track",
            description="plan.json re-read, valid against the track plan schema",
        )
    ],
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
)
def notion_track(
    context: dg.AssetExecutionContext, notion: NotionResource, storage: StorageResource
) -> dg.MaterializeResult:
    """The plan of one video, parsed from its Notion page: arcs with BPM ranges, prompts,
    title, description, hashtags and tags. Written as ``plan.json`` (schema in
    ``lofi_assets/core/ingest/track_plan.schema.json``)."""
    key = context.partition_key
    try:
        plan, source_edited = fetch_track_plan(notion, key)
    except (PlanParseError, PageNotFound) as exc:
        # Bad input: retrying cannot help, and the message names the page.
        raise dg.Failure(
            description=str(exc), metadata={"page": key, **notion.describe()}, allow_retries=False
        ) from None
    except SourceError as exc:
        raise dg.Failure(description=str(exc), metadata={"page": key, **notion.describe()}) from None

    path = asset_files.PLAN.write(storage, key, plan.to_dict())
    for warning in plan.warnings:
        context.log.warning(f"page {key}: {warning}")
    return dg.MaterializeResult(
        metadata={
            "title": plan.title,
            "track_number": plan.track_number,
            "arcs": len(plan.arcs),
            "prompts": len(plan.prompts),
            "target_duration_min": plan.target_duration_min,
            "hidden_tags_fit": plan.hidden_tags_fit,
            "warnings": dg.MetadataValue.md(markdown_bullets(plan.warnings)),
            "warning_count": len(plan.warnings),
            "arc_table": dg.MetadataValue.md(arcs_table(plan)),
            "last_edited": plan.last_edited or "",
            "source_edited": source_edited,  # the sensor skips a page made from this same edit
            "page": plan.source,
            "path": dg.MetadataValue.path(str(path)),
            **notion.describe(),
        },
        check_results=[check_plan_file(path, plan)],
    )

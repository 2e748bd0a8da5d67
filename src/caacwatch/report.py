"""The human terminal report of one analysis: allegations first, then every claim, then flags."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from caacwatch.records import Allegation, Analysis, Claim

VIOLATION_LABELS = {
    "recruitment_use": "Recruitment and use of children",
    "killing_maiming": "Killing and maiming of children",
    "sexual_violence": "Rape and other sexual violence against children",
    "attacks_schools_hospitals": "Attacks on schools or hospitals",
    "abduction": "Abduction of children",
    "denial_humanitarian_access": "Denial of humanitarian access",
    "military_use_schools_hospitals": "Military use of schools or hospitals",
    "deprivation_of_liberty": "Deprivation of liberty of children",
}
FLAG_TEXT = {
    "question_headline": "the headline asks a question instead of stating a fact",
    "representative_image": "a picture is captioned as 'representative': it is not evidence",
    "secondary_reporting": "the article relies on another outlet or document",
    "single_source": "all of it rests on a single independent source",
    "party_to_conflict_source": "the only sources belong to a party to the same conflict as the accused",
    "no_attributed_source": "nobody is named as the source",
    "hedged": "the supporting claims are hedged",
    "unsupported_language": "not English: the language is recorded, the text was not analysed",
}


# C0 and C1 control characters but tab and newline: article text must not drive the user's terminal
# (ESC sequences can retitle, clear or rewrite it). Replaced one for one, so spans stay valid.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: Any) -> Any:
    """``value`` (strings, lists, dicts) with every control character replaced by U+FFFD."""
    if isinstance(value, str):
        return _TERMINAL_CONTROLS.sub("\ufffd", value)
    if isinstance(value, list):
        return [printable(item) for item in value]
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    return value


def print_report(analysis: Analysis, console: Console) -> None:
    analysis = Analysis.model_validate(printable(analysis.to_json_dict()))
    console.print(_header(analysis))
    if analysis.allegations:
        console.print(_allegations_table(analysis))
    else:
        console.print("[dim]No allegation of a grave violation against children found.[/dim]")
    if analysis.claims:
        console.print(_claims_table(analysis))
    console.print(_flags(analysis))


def _header(analysis: Analysis) -> Panel:
    document = analysis.document
    lines = [Text(document.title or "(no title)", style="bold")]
    meta = [f"{key}: {value}" for key, value in (
        ("outlet", document.outlet), ("published", document.published), ("url", document.url),
        ("language", document.language), ("sha256", (document.sha256 or "")[:16] or None),
    ) if value]
    if meta:
        lines.append(Text("  ".join(meta), style="dim"))
    verdict = "RELEVANT" if analysis.relevant else "not relevant"
    style = "bold red" if analysis.relevant else "green"
    lines.append(Text(f"{verdict}: {len(analysis.allegations)} allegation(s), {len(analysis.claims)} claim(s)",
                      style=style))
    return Panel(Group(*lines), title=f"caacwatch · {analysis.id or 'document'}", expand=True)


def _allegations_table(analysis: Analysis) -> Group:
    """One block per allegation: vertical "field: value" lines stay readable in a narrow terminal."""
    claims = {c.id: c for c in analysis.claims}
    blocks = []
    for allegation in analysis.allegations:
        said_by = sorted({_who(claims[c]) for c in allegation.claims if c in claims})
        rows = [
            ("by", _perpetrator(allegation)),
            ("children", _victims(allegation)),
            ("where", "; ".join(_place(loc) for loc in allegation.locations) or "not stated"),
            ("when", _when(allegation)),
            ("said by", "; ".join(said_by) or "—"),
            ("sources", "; ".join(_allegation_source(s) for s in allegation.sources) or "—"),
            ("evidence", ", ".join(sorted({e.kind for e in allegation.evidence})) or "none offered"),
            ("trigger", f"'{allegation.trigger.text}' {list(allegation.trigger.span)}"),
            ("rule", f"{allegation.rule} (confidence {allegation.confidence:.2f})"),
        ]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(label, Text(value))
        title = f"{allegation.id} · {VIOLATION_LABELS.get(allegation.violation, allegation.violation)}"
        if allegation.violation_class == "related_category":
            title += " [related category]"
        blocks.append(Panel(grid, title=title, title_align="left", border_style="red"))
    return Group(Text("Allegations", style="bold underline"), *blocks)


def _perpetrator(allegation: Allegation) -> str:
    p = allegation.perpetrator
    if p is None:
        return "unknown"
    who = p.name if not p.party or p.party == p.name else f"{p.name} ({p.party})"
    return who if p.type == "unknown" else f"{who} — {p.type.replace('_', ' ')}"


def _victims(allegation: Allegation) -> str:
    v = allegation.victims
    parts = []
    if v.count is not None:
        figure = f"{v.count}" if v.count_max is None else f"{v.count}–{v.count_max}"
        parts.append(figure + (" (estimated)" if v.estimated else ""))
    if v.killed is not None or v.injured is not None:
        parts.append(f"killed {_figure(v.killed)}, injured {_figure(v.injured)}")
    if v.boys is not None or v.girls is not None or v.sex_unknown:
        parts.append(f"boys {_figure(v.boys)}, girls {_figure(v.girls)}, sex unknown {_figure(v.sex_unknown)}")
    if v.min_age is not None:
        if v.max_age is None:
            parts.append(f"ages {v.min_age}+")
        else:
            parts.append(f"age {v.min_age}" if v.min_age == v.max_age else f"ages {v.min_age}–{v.max_age}")
    elif v.max_age is not None:
        parts.append(f"under {v.max_age + 1}")
    if v.sex != "unknown" and v.boys is None and v.girls is None:
        parts.append(v.sex)
    if v.role is not None:
        parts.append(f"role {v.role}" + (f" ('{v.role_evidence.text}')" if v.role_evidence else ""))
    return ", ".join(parts) or "children (no details)"


def _figure(value: int | None) -> str:
    return "?" if value is None else str(value)


def _place(location) -> str:
    where = location.name
    if location.admin1 and location.admin1 != location.name:
        where += f", {location.admin1}"
    where = f"{where} ({location.country})" if location.country else where
    return where + (f" [precision {location.geo_precision}]" if location.geo_precision else "")


def _when(allegation: Allegation) -> str:
    t = allegation.time
    if t is None or t.date is None:
        return "not stated (date precision: none)"
    return f"{t.date} ({t.precision}; date precision {allegation.date_precision})"


def _allegation_source(source) -> str:
    """ "Lyudmyla Denisova (official, Ukraine; official_statement; reliability medium, credibility low)"."""
    details = [source.type + (" relay" if source.relay else "")]
    if source.party:
        details.append(source.party)
    if source.kinds:
        details.append(", ".join(source.kinds))
    details.append(f"reliability {source.reliability}, credibility {source.credibility} (proposed)")
    return f"{source.name} ({'; '.join(details)})"


def _who(claim: Claim) -> str:
    if claim.source is None:
        return "unattributed"
    who = claim.source.name
    if claim.via:
        who += " via " + ", ".join(claim.via)
    return who


def _claims_table(analysis: Analysis) -> Group:
    """Every claim: who (resolved, role, party), the cue, what is claimed, hedges, via, stance."""
    lines: list[Text] = [Text("Claims: who says what", style="bold underline")]
    for claim in analysis.claims:
        header = Text(f"{claim.id} ", style="bold")
        header.append(_source_line(claim), style="cyan")
        header.append(f"  [{claim.kind}, {claim.stance}]", style="dim")
        lines.append(header)
        cue = f"{claim.cue.text}: " if claim.cue else ""
        lines.append(Text(f"    {cue}“{_shorten(claim.content.text)}”"))
        extras = []
        if claim.hedges:
            extras.append("hedges: " + ", ".join(h.text for h in claim.hedges))
        if claim.via:
            extras.append("via: " + " → ".join(claim.via))
        extras.append(f"rule: {claim.rule}")
        lines.append(Text("    " + " · ".join(extras), style="dim"))
    return Group(*lines)


def _source_line(claim: Claim) -> str:
    source = claim.source
    if source is None:
        return "unattributed (the article's own voice)"
    who = source.name
    if source.resolved_from:
        who += f" (from '{source.resolved_from}')"
    details = [d for d in (source.role, source.type, source.party and f"party: {source.party}") if d]
    return who + (f" — {'; '.join(details)}" if details else "")


def _flags(analysis: Analysis) -> Panel:
    if not analysis.flags:
        return Panel("none", title="Flags")
    lines = [Text(f"⚑ {flag}: {FLAG_TEXT.get(flag, '')}", style="yellow") for flag in analysis.flags]
    boilerplate = analysis.document.boilerplate
    if boilerplate:
        kept_out = ", ".join(f"'{b.text.strip()}' ({b.kind})" for b in boilerplate)
        lines.append(Text(f"kept out of claims: {kept_out}", style="dim"))
    return Panel(Group(*lines), title="Flags")


def _shorten(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


INCIDENT_FLAG_TEXT = {
    "single_source": "rests on a single independent source",
    "party_to_conflict_only": "every source belongs to a party to the conflict",
    "contested": "a denial or a retraction exists",
    "neutral_source": "a neutral source (UN, NGO, witness) reports it",
}


def print_incident(detail: dict, console: Console) -> None:
    """An incident: what, where, who says so, then the timeline of reports and linking decisions.

    ``detail`` may be a viewer's view (``caacwatch.export.public.detail_for_role``): what it lacks is
    not printed."""
    detail = printable(detail)
    console.print(_incident_header(detail))
    if detail.get("counts"):
        console.print(_incident_counts(detail))
    console.print(_incident_sources(detail))
    if detail.get("timeline"):
        console.print(_incident_timeline(detail))
    if detail.get("decisions"):
        console.print(_incident_decisions(detail))


_PRECISION_TEXT = {
    "location": {1: "1 (the town itself)", 2: "2 (near a town, or a small area)", 3: "3 (a region or larger)"},
    "date": {1: "1 (the exact day)", 2: "2 (a week)", 3: "3 (a month)"},
}


def _incident_header(detail: dict) -> Panel:
    perpetrators = ", ".join(p.get("name") or p.get("party") or "" for p in detail.get("perpetrators") or []) or "not named"
    perpetrator_type = detail.get("perpetrator_type")
    if perpetrator_type and perpetrator_type != "unknown":
        perpetrators += f" — {perpetrator_type.replace('_', ' ')}" + (f" ({detail['perpetrator']})" if detail.get("perpetrator") else "")
    places = ", ".join(loc["name"] for loc in detail.get("locations") or []) or ", ".join(detail.get("countries") or []) or "unknown"
    from caacwatch.export.public import VIOLATION_TEXT

    violation = VIOLATION_LABELS.get(detail["violation"]) or VIOLATION_TEXT.get(detail["violation"], detail["violation"])
    klass = " [related category]" if detail.get("violation_class") == "related_category" else ""
    lines = [
        Text(f"{violation}{klass} — incident {detail['id']} ({detail['status'].replace('_', ' ')})", style="bold"),
        Text(f"verification: {_verification_text(detail)}"),
        Text(f"perpetrator: {perpetrators}"),
        Text(f"where: {places}; location precision {_precision('location', detail.get('location_precision'))}"),
        Text(f"when: {detail.get('event_date') or 'date not stated'}; date precision "
             f"{_precision('date', detail.get('date_precision'))}; first reported {detail.get('first_reported') or 'unknown'}"),
        Text(f"children: {_children_text(detail)}"),
        Text(f"reports: {detail.get('document_count', '?')} documents, {detail['independent_sources']} independent source(s)"),
        Text(detail.get("summary") or "", style="italic"),
        Text(f"public summary ({'edited by ' + str(detail['public_summary_by']) if detail.get('public_summary_by') else 'proposed'}): "
             f"{detail.get('public_summary') or ''}", style="dim"),
    ]
    lines += [Text(f"⚑ {INCIDENT_FLAG_TEXT.get(f, f)}", style="yellow") for f in detail.get("flags") or []]
    return Panel(Group(*lines), expand=False)


def _precision(kind: str, code: int | None) -> str:
    return "not stated" if code is None else _PRECISION_TEXT[kind].get(code, str(code))


def _verification_text(detail: dict) -> str:
    if detail.get("status") != "verified":
        return "not verified"
    level = (detail.get("verification_level") or "level not recorded").replace("_", " ")
    return f"verified by {detail.get('verified_by') or '?'} on {(detail.get('verified_at') or '?')[:10]}, {level}"


def _children_text(detail: dict) -> str:
    counts = detail.get("counts") or {}
    children = counts.get("children")
    parts = [_count_text(children) if children else "number not stated"]
    by_sex = [f"{name} {_count_text(counts[key])}" for key, name in (("boys", "boys"), ("girls", "girls"), ("sex_unknown", "sex unknown")) if counts.get(key)]
    parts.append(", ".join(by_sex) if by_sex else "boys/girls not stated")
    for key in ("killed", "injured"):
        if counts.get(key):
            parts.append(f"{key} {_count_text(counts[key])}")
    if detail.get("ages"):
        parts.append(f"ages {detail['ages']}")
    if detail.get("recruitment_role"):
        parts.append(f"role {detail['recruitment_role']}")
    return "; ".join(parts)


def _count_text(count: dict) -> str:
    text = ("~" if count.get("estimated") else "") + str(count.get("value"))
    if count.get("min") is not None and count.get("max") not in (None, count.get("min")):
        text += f" (reports range {count['min']}–{count['max']})"
    return text


def _incident_counts(detail: dict) -> Table:
    table = Table(title="Figures (conservative: the lowest credible figure is kept)")
    for column in ("figure", "value", "source", "document", "words", "credibility"):
        table.add_column(column)
    for figure, count in (detail.get("counts") or {}).items():
        for entry in count.get("by_source") or [count]:
            kept = entry.get("value") == count.get("value") and entry.get("source") == count.get("source")
            table.add_row(
                figure, ("~" if entry.get("estimated") else "") + str(entry.get("value")) + (" ✓" if kept else ""),
                Text(str(entry.get("source") or "")), Text(str(entry.get("document") or "")),
                Text(str(entry.get("words") or "")), str(entry.get("credibility") or ""),
            )
    return table


def _incident_sources(detail: dict) -> Table:
    table = Table(title="Who says so", show_lines=False)
    for column in ("source", "type", "party", "reliability / credibility", "relayed by", "reports"):
        table.add_column(column)
    for source in detail.get("sources") or []:
        rated = " (analyst)" if source.get("rated_by") else ""
        kind = f"{source.get('type') or ''} ({source.get('category') or '?'}{', relay' if source.get('relay') else ''})"
        table.add_row(
            Text(source.get("name") or "—"), kind, Text(source.get("party") or ""),
            f"{source.get('reliability') or '?'} / {source.get('credibility') or '?'}{rated}",
            Text(", ".join(source.get("outlets") or [])), str(len(source.get("documents") or [])),
        )
    return table


def _incident_timeline(detail: dict) -> Table:
    table = Table(title="Timeline of reports", show_lines=True)
    for column in ("date", "report", "role", "what it says"):
        table.add_column(column)
    for entry in detail["timeline"]:
        said = [
            f"{a['trigger']!r}" + "".join(f"\n  {c['source']['name'] if c.get('source') else 'unattributed'}: {c['content']['text'][:160]}" for c in a["claims"][:2])
            for a in entry["allegations"]
        ]
        if entry["copy_of"]:
            said.append(f"copy of document {entry['copy_of']}")
        table.add_row(
            (entry["date"] or "")[:10] + ("" if entry["date_basis"] == "published" else " (seen)"),
            Text(", ".join(entry["external_ids"]) + (f"\n{entry['title']}" if entry["title"] else "")),
            entry["role"],
            Text("\n".join(said)),
        )
    return table


def _incident_decisions(detail: dict) -> Table:
    table = Table(title="Why these reports are one incident")
    for column in ("action", "document", "score", "reason"):
        table.add_column(column)
    for decision in detail["decisions"]:
        reason = decision["reason"]
        why = reason.get("why") or ", ".join(f"{k} {v}" for k, v in (reason.get("agreement") or {}).items())
        if reason.get("shared_terms"):
            why += "; shared: " + ", ".join(reason["shared_terms"][:5])
        if reason.get("rule") == "near_duplicate":
            why = f"near-duplicate of document {reason.get('of_document')}; " + why
        score = "" if decision["score"] is None else f"{decision['score']:.2f}"
        table.add_row(decision["action"], str(decision["document"]), score, Text(why))
    return table

"""The human terminal report of one analysis: allegations first, then every claim, then flags."""

from __future__ import annotations

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


def print_report(analysis: Analysis, console: Console) -> None:
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
        blocks.append(Panel(grid, title=title, title_align="left", border_style="red"))
    return Group(Text("Allegations", style="bold underline"), *blocks)


def _perpetrator(allegation: Allegation) -> str:
    p = allegation.perpetrator
    if p is None:
        return "unknown"
    return p.name if not p.party or p.party == p.name else f"{p.name} ({p.party})"


def _victims(allegation: Allegation) -> str:
    v = allegation.victims
    parts = []
    if v.count is not None:
        parts.append(f"{v.count}")
    if v.min_age is not None:
        parts.append(f"age {v.min_age}" if v.min_age == v.max_age else f"ages {v.min_age}–{v.max_age or '?'}")
    elif v.max_age is not None:
        parts.append(f"under {v.max_age + 1}")
    if v.sex != "unknown":
        parts.append(v.sex)
    return ", ".join(parts) or "children (no details)"


def _place(location) -> str:
    where = location.name
    if location.admin1 and location.admin1 != location.name:
        where += f", {location.admin1}"
    return f"{where} ({location.country})" if location.country else where


def _when(allegation: Allegation) -> str:
    t = allegation.time
    if t is None or t.date is None:
        return "not stated"
    return f"{t.date} ({t.precision})"


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
    """An incident: what, where, who says so, then the timeline of reports and linking decisions."""
    console.print(_incident_header(detail))
    console.print(_incident_sources(detail))
    console.print(_incident_timeline(detail))
    if detail["decisions"]:
        console.print(_incident_decisions(detail))


def _incident_header(detail: dict) -> Panel:
    perpetrators = ", ".join(p["name"] for p in detail["perpetrators"]) or "not named"
    places = ", ".join(loc["name"] for loc in detail["locations"]) or ", ".join(detail["countries"]) or "unknown"
    victims = detail["victims"] or {}
    lines = [
        Text(f"{VIOLATION_LABELS.get(detail['violation'], detail['violation'])} — incident {detail['id']} ({detail['status']})", style="bold"),
        Text(f"perpetrator: {perpetrators}"),
        Text(f"where: {places}"),
        Text(f"when: {detail['event_date'] or 'date not stated'} ({detail['event_date_precision']}); "
             f"first reported {detail['first_reported'] or 'unknown'}"),
        Text(f"children: {_victims_text(victims)}"),
        Text(f"reports: {detail['document_count']} documents, {detail['independent_sources']} independent source(s)"),
        Text(detail["summary"], style="italic"),
    ]
    lines += [Text(f"⚑ {INCIDENT_FLAG_TEXT.get(f, f)}", style="yellow") for f in detail["flags"]]
    return Panel(Group(*lines), expand=False)


def _victims_text(victims: dict) -> str:
    parts = []
    if victims.get("count") is not None:
        low, high = victims.get("count_range") or [victims["count"], victims["count"]]
        parts.append(f"{low}" if low == high else f"{low} (reports range {low}–{high})")
    if victims.get("min_age") is not None or victims.get("max_age") is not None:
        parts.append(f"ages {victims.get('min_age') or '?'}–{victims.get('max_age') or '?'}")
    if victims.get("sex") and victims["sex"] != "unknown":
        parts.append(victims["sex"])
    return ", ".join(parts) or "no figures stated"


def _incident_sources(detail: dict) -> Table:
    table = Table(title="Who says so", show_lines=False)
    for column in ("source", "type", "party", "relayed by", "reports"):
        table.add_column(column)
    for source in detail["sources"]:
        table.add_row(
            Text(source["name"]), source["type"], source["party"] or "", Text(", ".join(source["outlets"])),
            str(len(source["documents"])),
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

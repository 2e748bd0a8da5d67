"""The monitoring store's schema (Django models; migrations in ``migrations/``).

Shared by the CLI, the batch loader and the web workbench. It never imports spaCy: what arrives
here are the JSON records of :mod:`caacwatch.records`.

Evidence first: every input's bytes are kept in :class:`Original` with their SHA-256; a
:class:`Document` is keyed by the SHA-256 of its normalised text, and every external id under
which it arrived is a :class:`Report`. Linking adds near-duplicate groups (``Document.canonical``),
:class:`Incident` clusters of :class:`Allegation` rows, and a :class:`LinkDecision` for every
merge, saying why.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Original(models.Model):
    """Bytes exactly as received (HTML page, text file, JSON line, WARC payload)."""

    sha256 = models.CharField(max_length=64, unique=True)
    data = models.BinaryField()
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=200)
    url = models.TextField(null=True)
    retrieved_at = models.DateTimeField(null=True)
    stored_at = models.DateTimeField(default=timezone.now)


class Document(models.Model):
    """An article's text and its analysis; one row per distinct normalised text."""

    text_sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    title = models.TextField(null=True)
    url = models.TextField(null=True)
    canonical_url = models.TextField(null=True)
    outlet = models.CharField(max_length=300, null=True)
    author = models.TextField(null=True)
    published = models.DateTimeField(null=True, db_index=True)
    published_text = models.CharField(max_length=64, null=True)
    language = models.CharField(max_length=16, null=True)
    relevant = models.BooleanField(db_index=True)
    schema = models.CharField(max_length=64)
    analysis = models.JSONField(help_text="the caacwatch.analysis JSON of this text")
    first_seen = models.DateTimeField(default=timezone.now, db_index=True)
    # near-duplicate grouping: a copy points at the first-seen document of its group
    canonical = models.ForeignKey("self", null=True, on_delete=models.PROTECT, related_name="copies")
    duplicate_reason = models.JSONField(null=True)
    minhash = models.BinaryField(null=True)
    linked_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["canonical"], name="doc_canonical")]

    @property
    def report_date(self):
        return self.published or self.first_seen


class Report(models.Model):
    """An external id (input id, file, URL) under which a document arrived; duplicates included."""

    external_id = models.CharField(max_length=1000, db_index=True)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reports")
    original = models.ForeignKey(Original, null=True, on_delete=models.PROTECT, related_name="reports")
    origin = models.TextField(default="")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_id", "document"], name="report_once_per_document")
        ]


class Rejection(models.Model):
    """An input that could not become a document, kept as data with its coded reason."""

    key = models.CharField(max_length=64, unique=True, help_text="makes re-ingesting idempotent")
    external_id = models.CharField(max_length=1000, null=True, db_index=True)
    origin = models.TextField(default="")
    code = models.CharField(max_length=8, db_index=True)
    reason = models.TextField()
    original = models.ForeignKey(Original, null=True, on_delete=models.PROTECT, related_name="rejections")
    received_at = models.DateTimeField(default=timezone.now)


class LshBand(models.Model):
    """One LSH band key of a canonical document's MinHash: finds near-duplicate candidates by index."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="bands")
    band = models.SmallIntegerField()
    key = models.BigIntegerField()

    class Meta:
        # Looked up by key (a band's hash already depends on the band index); band is checked after.
        indexes = [models.Index(fields=["key"], name="lsh_key")]


class Claim(models.Model):
    """An attributed (or unattributed) statement in a document."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="claims")
    local_id = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    stance = models.CharField(max_length=32, db_index=True)
    source_name = models.TextField(null=True)
    source_type = models.CharField(max_length=32, null=True)
    source_role = models.TextField(null=True)
    source_party = models.CharField(max_length=200, null=True)
    content = models.TextField()
    start = models.IntegerField()
    end = models.IntegerField()
    hedged = models.BooleanField(default=False)
    via = models.JSONField(default=list)
    rule = models.CharField(max_length=100)
    data = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "local_id"], name="claim_once_per_document")
        ]


class Incident(models.Model):
    """One event (a violation, a place, a time, a perpetrator) and every report of it.

    The MRM fields (``docs/mrm.md``) are aggregates that :func:`caacwatch.store.linking.refresh_incident`
    recomputes from the incident's allegations and sources (``counts``, ages, role, precision codes,
    ``public_summary_proposed``), except what an analyst decides: ``status`` and the verification
    fields, ``public_summary`` (and who wrote it, when), and the sources' ratings (:class:`IncidentSource`).
    """

    class Status(models.TextChoices):
        """The MRM's verification statuses (the earlier workbench statuses are mapped by migration 0002)."""

        REPORTED_NOT_VERIFIED = "reported_not_verified"
        PENDING_VERIFICATION = "pending_verification"
        VERIFIED = "verified"
        NOT_A_VIOLATION = "not_a_violation"
        DID_NOT_OCCUR = "did_not_occur"

    class VerificationLevel(models.TextChoices):
        FOCAL_POINT = "focal_point"
        TASK_FORCE_CO_CHAIRS = "task_force_co_chairs"
        TASK_FORCE = "task_force"

    violation = models.CharField(max_length=40, db_index=True)
    violation_class = models.CharField(
        max_length=20, default="grave_violation", db_index=True, help_text="grave_violation | related_category"
    )
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.REPORTED_NOT_VERIFIED, db_index=True
    )
    verified_by = models.CharField(max_length=150, null=True, help_text="username of who verified")
    verified_at = models.DateTimeField(null=True)
    verification_level = models.CharField(max_length=24, choices=VerificationLevel.choices, null=True)
    summary = models.TextField(default="")
    first_reported = models.DateTimeField(null=True, db_index=True)
    last_reported = models.DateTimeField(null=True)
    event_date = models.DateField(null=True, db_index=True)
    event_date_precision = models.CharField(max_length=16, default="unknown")
    date_precision = models.SmallIntegerField(null=True, help_text="ACLED date precision 1/2/3, null: no date")
    location_precision = models.SmallIntegerField(null=True, help_text="ACLED location precision 1/2/3")
    perpetrator = models.CharField(max_length=200, null=True, db_index=True, help_text="principal party")
    perpetrator_type = models.CharField(
        max_length=32, null=True, help_text="state_armed_force | non_state_armed_group | other_party | unknown"
    )
    perpetrators = models.JSONField(default=list)
    locations = models.JSONField(default=list)
    admin1 = models.JSONField(default=list)
    regions = models.JSONField(
        default=list,
        help_text="the places coarsened to their region or country, with that area's point: "
        "[{name, admin1, country, lat, lon}] (what viewers and publications see)",
    )
    victims = models.JSONField(default=dict)
    counts = models.JSONField(
        default=dict,
        help_text="{figure: {value, min, max, estimated, by_source: [...]}} for children, killed, injured, "
        "boys, girls, sex_unknown (link/counting.py)",
    )
    min_age = models.SmallIntegerField(null=True)
    max_age = models.SmallIntegerField(null=True)
    recruitment_role = models.CharField(max_length=16, null=True, help_text="combatant | support | unknown")
    sources = models.JSONField(default=list)
    independent_sources = models.IntegerField(default=0, db_index=True)
    flags = models.JSONField(default=list)
    single_source = models.BooleanField(default=True)
    party_to_conflict_only = models.BooleanField(default=False)
    contested = models.BooleanField(default=False)
    neutral_source = models.BooleanField(default=False)
    document_count = models.IntegerField(default=0)
    public_summary = models.TextField(default="", help_text="the analyst's public-safe summary")
    public_summary_proposed = models.TextField(default="", help_text="caacwatch's proposal (confidentiality.py)")
    public_summary_by = models.CharField(max_length=150, null=True)
    public_summary_at = models.DateTimeField(null=True)
    profile = models.JSONField(default=dict, help_text="what new reports are matched against")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["violation", "first_reported"], name="incident_violation_date"),
            models.Index(fields=["status", "first_reported"], name="incident_status_date"),
        ]


class IncidentSource(models.Model):
    """A source of an incident, typed as the MRM types sources, with the analyst's ratings.

    Rebuilt by ``refresh_incident`` from the allegations' sources; a row is identified by ``key``
    (normalised name + party) so that an analyst's ``reliability``/``credibility`` (``None``: use the
    extractor's proposal) survive every refresh. Change ratings with
    :func:`caacwatch.store.linking.rate_source`, which recounts the incident.
    """

    class Rating(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="source_rows")
    key = models.CharField(max_length=400)
    name = models.TextField()
    category = models.CharField(max_length=16, help_text="primary | secondary")
    type = models.CharField(
        max_length=24, help_text="victim | witness | alleged_perpetrator | official | un | ngo | media | other"
    )
    kinds = models.JSONField(default=list)
    party = models.CharField(max_length=200, null=True)
    relay = models.BooleanField(default=False)
    proposed_reliability = models.CharField(max_length=8, choices=Rating.choices, default=Rating.MEDIUM)
    proposed_credibility = models.CharField(max_length=8, choices=Rating.choices, default=Rating.MEDIUM)
    reliability = models.CharField(max_length=8, choices=Rating.choices, null=True, help_text="set by an analyst")
    credibility = models.CharField(max_length=8, choices=Rating.choices, null=True, help_text="set by an analyst")
    rated_by = models.CharField(max_length=150, null=True)
    rated_at = models.DateTimeField(null=True)
    documents = models.JSONField(default=list, help_text="external ids of the reports citing it")
    claims = models.IntegerField(default=0, help_text="number of claims behind it")
    present = models.BooleanField(
        default=True, help_text="False: no current allegation cites it (kept for its analyst rating)"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="incident_source_once")]

    @property
    def effective_reliability(self) -> str:
        return self.reliability or self.proposed_reliability

    @property
    def effective_credibility(self) -> str:
        return self.credibility or self.proposed_credibility


class IncidentCountry(models.Model):
    """A country an incident took place in (a join table, so that country filters use an index)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="country_rows")
    country = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "country"], name="incident_country_once")
        ]
        indexes = [models.Index(fields=["country", "incident"], name="country_incident")]


class Allegation(models.Model):
    """A violation alleged in one document, and the incident it was linked to."""

    class Role(models.TextChoices):
        REPORT = "report"
        FOLLOW_UP = "follow_up"
        DENIAL = "denial"
        RETRACTION = "retraction"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="allegations")
    local_id = models.CharField(max_length=16)
    violation = models.CharField(max_length=40, db_index=True)
    perpetrator_name = models.CharField(max_length=300, null=True)
    perpetrator_party = models.CharField(max_length=200, null=True)
    perpetrator_type = models.CharField(max_length=32, null=True)
    violation_class = models.CharField(max_length=20, default="grave_violation")
    victims = models.JSONField(default=dict, help_text="the analysis's victims (records.Victims)")
    location_precision = models.SmallIntegerField(null=True)
    date_precision = models.SmallIntegerField(null=True)
    victims_count = models.IntegerField(null=True)
    victims_min_age = models.IntegerField(null=True)
    victims_max_age = models.IntegerField(null=True)
    victims_sex = models.CharField(max_length=16, default="unknown")
    countries = models.JSONField(default=list)
    event_date = models.DateField(null=True)
    event_date_precision = models.CharField(max_length=16, default="unknown")
    confidence = models.FloatField()
    rule = models.CharField(max_length=100)
    trigger_text = models.TextField()
    trigger_start = models.IntegerField()
    trigger_end = models.IntegerField()
    data = models.JSONField()
    incident = models.ForeignKey(
        Incident, null=True, on_delete=models.SET_NULL, related_name="allegations"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REPORT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "local_id"], name="allegation_once_per_document")
        ]


class IncidentDocument(models.Model):
    """A document reporting an incident: through its own allegation, or as a copy of one that does."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="document_rows")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="incident_rows")
    role = models.CharField(max_length=16, help_text="report | copy | follow_up | denial | retraction")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "document"], name="incident_document_once")
        ]


class LinkDecision(models.Model):
    """Why an allegation or a document was put in an incident (or a new one was opened)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="decisions")
    allegation = models.ForeignKey(Allegation, null=True, on_delete=models.SET_NULL)
    document = models.ForeignKey(Document, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=24, help_text="created | joined | copy | denial | retraction")
    score = models.FloatField(null=True)
    reason = models.JSONField(default=dict)
    decided_at = models.DateTimeField(default=timezone.now)


class IngestRun(models.Model):
    """One ``caacwatch ingest`` invocation and its counts (updated at every batch commit)."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)
    command = models.TextField(default="")
    counts = models.JSONField(default=dict)
    status = models.CharField(max_length=16, default="running")

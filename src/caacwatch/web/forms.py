"""Forms of the workbench pages (the API validates with DRF serializers instead)."""

from __future__ import annotations

from django import forms

from caacwatch.records import CATEGORIES
from caacwatch.web.review import LEVELS, RATINGS, STATUSES

STATUS_CHOICES = [(s, s.replace("_", " ")) for s in STATUSES]
LEVEL_CHOICES = [("", "— (only for verified)")] + [(v, v.replace("_", " ")) for v in LEVELS]
RATING_CHOICES = [("", "proposal")] + [(r, r) for r in RATINGS]


class ReviewForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES)
    level = forms.ChoiceField(choices=LEVEL_CHOICES, required=False, label="Level (verified)")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["status"].choices = [(s, label) for s, label in STATUS_CHOICES if s in allowed]


class RatingForm(forms.Form):
    """An analyst's reliability and credibility of one incident source ("proposal": the extractor's)."""

    reliability = forms.ChoiceField(choices=RATING_CHOICES, required=False)
    credibility = forms.ChoiceField(choices=RATING_CHOICES, required=False)
    note = forms.CharField(widget=forms.TextInput(), max_length=10000, required=False)


class PublicSummaryForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, required=False,
                           label="Public-safe summary (empty: back to the proposal)")
    note = forms.CharField(widget=forms.TextInput(), max_length=10000, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class MergeForm(forms.Form):
    other = forms.IntegerField(min_value=1, label="Merge incident #")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=10000)


class SplitForm(forms.Form):
    allegations = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=10000)

    def __init__(self, *args, choices: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allegations"].choices = list(choices)


class AllegationForm(forms.Form):
    violation = forms.ChoiceField(choices=[(v, v) for v in CATEGORIES])
    perpetrator_name = forms.CharField(max_length=300, required=False)
    perpetrator_party = forms.CharField(max_length=200, required=False)
    perpetrator_type = forms.CharField(max_length=32, required=False)
    victims_count = forms.IntegerField(min_value=0, max_value=10_000_000, required=False)
    victims_min_age = forms.IntegerField(min_value=0, max_value=17, required=False)
    victims_max_age = forms.IntegerField(min_value=0, max_value=17, required=False)
    victims_sex = forms.ChoiceField(choices=[(s, s) for s in ("unknown", "male", "female", "mixed")])
    event_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    event_date_precision = forms.ChoiceField(choices=[(s, s) for s in ("day", "week", "month", "year", "unknown")])
    role = forms.ChoiceField(choices=[(s, s) for s in ("report", "follow_up", "denial", "retraction")])
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=10000)

    TEXT_FIELDS = ("perpetrator_name", "perpetrator_party", "perpetrator_type")

    def changes(self, current: dict) -> dict:
        """The fields whose cleaned value differs from ``current`` (blank text means null)."""
        result = {}
        for name in self.fields:
            if name == "note":
                continue
            value = self.cleaned_data.get(name)
            if name in self.TEXT_FIELDS:
                value = value or None
            if value != current.get(name):
                result[name] = value
        return result

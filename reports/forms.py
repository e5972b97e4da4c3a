"""The report's filters, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.forms import DateInput
from monitoring.forecast import CONFIDENCE_LABELS
from reports import consumables, queries
from reports import operations as ops


class ReconciliationFilterForm(forms.Form):
    """Which sets, whose verifications and which region the reconciliation covers."""

    set = forms.ModelChoiceField(
        label=_("Handover set"),
        queryset=queries.report_handover_sets(),
        required=False,
        empty_label=_("All handover sets"),
    )
    campaign = forms.ModelChoiceField(
        label=_("Verifications"),
        queryset=queries.report_campaigns(),
        required=False,
        empty_label=_("All verifications (every campaign and ad hoc)"),
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = queries.report_regions(user=user)

    def report_filters(self) -> queries.ReportFilters:
        """Return the filters chosen (all when the form is not valid)."""
        if not self.is_valid():
            return queries.ReportFilters()
        data = self.cleaned_data
        return queries.ReportFilters(
            handover_set=data.get("set"), campaign=data.get("campaign"), region=data.get("region")
        )


def selection_from(data: dict) -> tuple[queries.ReportFilters, queries.AssetSelection]:
    """Return the report's filters and a figure's selection from a list's cleaned filters.

    For a discrepancy kind the region is the report's filter (national kinds ignore it); for a
    stage it narrows the cell like the office does.
    """
    kind = data.get("kind") or None
    region = data.get("region")
    office = data.get("office")
    category = data.get("category")
    filters = queries.ReportFilters(
        handover_set=data.get("set"),
        campaign=data.get("campaign"),
        region=region if kind else None,
    )
    selection = queries.AssetSelection(
        category_id=category.pk if category else None,
        region_id=region.pk if region and not kind else None,
        office_id=office.pk if office else None,
        stage=data.get("stage") or None,
        kind=kind,
    )
    return filters, selection


# --- operations reports (issue 8) ---------------------------------------------------------


class FleetHealthFilterForm(forms.Form):
    """Which region, category and set the fleet-health report covers; when silence counts."""

    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=queries.report_categories(),
        required=False,
        empty_label=_("All categories"),
    )
    set = forms.ModelChoiceField(
        label=_("Handover set"),
        queryset=queries.report_handover_sets(),
        required=False,
        empty_label=_("All assets"),
    )
    days = forms.IntegerField(
        label=_("Not seen for (days)"),
        min_value=1,
        max_value=ops.NOT_SEEN_DAYS_MAX,
        required=False,
        initial=ops.NOT_SEEN_DAYS_DEFAULT,
        help_text=_("Polled devices the poller has not heard from for this many days."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = queries.report_regions(user=user)

    def report_filters(self) -> queries.FleetFilters:
        """Return the filters chosen (all, and the default days, when the form is not valid)."""
        if not self.is_valid():
            return queries.FleetFilters()
        data = self.cleaned_data
        return queries.FleetFilters(
            region=data.get("region"),
            category=data.get("category"),
            handover_set=data.get("set"),
            days=data.get("days") or ops.NOT_SEEN_DAYS_DEFAULT,
        )


class RepairsFilterForm(forms.Form):
    """The period, region and category the repairs report covers."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=queries.report_categories(),
        required=False,
        empty_label=_("All categories"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = queries.report_regions(user=user)
        default = queries.repair_filters_default()
        self.fields["date_from"].initial = default.date_from
        self.fields["date_to"].initial = default.date_to

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(_("The period must start on or before its last day."))
        return data

    def report_filters(self) -> queries.RepairFilters:
        """Return the filters chosen; a date left empty (or the form not valid): the default."""
        default = queries.repair_filters_default()
        if not self.is_valid():
            return default
        data = self.cleaned_data
        date_from = data.get("date_from") or default.date_from
        date_to = data.get("date_to") or default.date_to
        if date_from > date_to:  # only one given, beyond the other's default
            date_from, date_to = min(date_from, date_to), max(date_from, date_to)
        return queries.RepairFilters(
            date_from=date_from,
            date_to=date_to,
            region=data.get("region"),
            category=data.get("category"),
        )


# --- consumables forecast and usage (issue 8) ------------------------------------------------


class OfficeChoiceField(forms.ModelChoiceField):
    """An office, shown by code and name."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.code} — {obj.name}"


# Most offices an office filter lists by itself; with more, it lists the chosen region's (a
# select of 5,000 offices takes two seconds to render and is no use to anyone).
OFFICE_CHOICES_MAX = 300


def office_choices_narrow(form: forms.Form, offices):
    """Set the form's office choices: all of ``offices`` when few, else the chosen region's.

    The region is the one picked, or the chosen office's; with neither, and more than
    OFFICE_CHOICES_MAX offices, the office filter offers none and says to pick a region.
    """
    field = form.fields["office"]
    region, office = form.data.get("region"), form.data.get("office")
    if region and str(region).isdigit():
        field.queryset = offices.filter(region_id=int(region))
    elif office and str(office).isdigit():
        field.queryset = offices.filter(region__offices=int(office))
    elif offices[OFFICE_CHOICES_MAX : OFFICE_CHOICES_MAX + 1].exists():
        field.queryset = offices.none()
        field.help_text = _("Pick a region first: its offices are then listed here.")
    else:
        field.queryset = offices


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A calendar month, typed as YYYY-MM: its first day."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return consumables.month_first(day) if day else day


class ConsumablesFilterForm(forms.Form):
    """Where, how sure and how soon: which forecasts the consumables report lists."""

    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    office = OfficeChoiceField(
        label=_("Office"), queryset=None, required=False, empty_label=_("All offices")
    )
    confidence = forms.ChoiceField(
        label=_("Confidence"),
        choices=[("", _("Any"))] + [(key, label) for key, label in CONFIDENCE_LABELS.items()],
        required=False,
    )
    within = forms.IntegerField(
        label=_("Runs out within (days)"),
        min_value=0,
        max_value=3650,
        required=False,
        help_text=_("Only supplies that run out within this many days from now."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = queries.report_regions(user=user)
        office_choices_narrow(self, queries.report_offices(user=user))

    def report_filters(self) -> queries.ConsumablesFilters:
        """Return the filters chosen (none when the form is not valid)."""
        if not self.is_valid():
            return queries.ConsumablesFilters()
        data = self.cleaned_data
        return queries.ConsumablesFilters(
            region=data.get("region"),
            office=data.get("office"),
            confidence=data.get("confidence") or "",
            within_days=data.get("within"),
        )


class UsageFilterForm(forms.Form):
    """Where, which devices and which months the usage report counts."""

    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    office = OfficeChoiceField(
        label=_("Office"), queryset=None, required=False, empty_label=_("All offices")
    )
    category = forms.ChoiceField(
        label=_("Devices"),
        choices=[
            ("printer", _("Printers: pages printed")),
            ("scanner", _("Scanners: pages scanned")),
        ],
        required=False,
    )
    first_month = MonthField(label=_("From month"), required=False)
    last_month = MonthField(label=_("To month"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = queries.report_regions(user=user)
        office_choices_narrow(self, queries.report_offices(user=user))
        first, last = consumables.usage_period_default(timezone.localdate())
        self.fields["first_month"].initial = first
        self.fields["last_month"].initial = last

    def clean(self):
        data = super().clean()
        first, last = data.get("first_month"), data.get("last_month")
        if first and last:
            if first > last:
                raise forms.ValidationError(_("The first month must not be after the last."))
            if len(consumables.months_between(first, last)) > consumables.USAGE_MONTHS_MAX:
                raise forms.ValidationError(
                    _("Choose at most %(months)s months."),
                    params={"months": consumables.USAGE_MONTHS_MAX},
                )
        return data

    def report_filters(self) -> queries.UsageFilters:
        """Return the filters chosen; a month left empty (or the form not valid): the default."""
        first, last = consumables.usage_period_default(timezone.localdate())
        if not self.is_valid():
            return queries.UsageFilters(first_month=first, last_month=last)
        data = self.cleaned_data
        first = data.get("first_month") or first
        last = data.get("last_month") or last
        if first > last:  # only one given, beyond the other's default
            first, last = last, first
        if len(consumables.months_between(first, last)) > consumables.USAGE_MONTHS_MAX:
            first = consumables.month_add(last, 1 - consumables.USAGE_MONTHS_MAX)
        return queries.UsageFilters(
            first_month=first,
            last_month=last,
            region=data.get("region"),
            office=data.get("office"),
            category=data.get("category") or "printer",
        )

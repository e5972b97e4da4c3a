"""The report's filters, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports import queries


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

"""Forms of the transfer pages. They parse and validate; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deployments.choices import ItemOutcome
from deployments.models import Transfer, TransferItem
from inventory.access import scope_offices
from inventory.choices import OfficeKind
from inventory.models import Office


class TransferForm(forms.ModelForm):
    """Open a transfer: from a place, to an office and zone."""

    class Meta:
        model = Transfer
        fields = ["origin", "destination", "destination_zone", "carrier", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "origin": _("The central warehouse, or the office the devices leave."),
            "carrier": _("Driver, courier or vehicle, if known."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offices = scope_offices(user, Office.objects.filter(is_active=True)).select_related(
            "region"
        )
        self.fields["origin"].queryset = offices
        self.fields["destination"].queryset = offices
        warehouse = offices.filter(kind=OfficeKind.WAREHOUSE).first()
        if warehouse is not None and not self.is_bound:
            self.initial.setdefault("origin", warehouse.pk)

    def clean(self):
        cleaned = super().clean()
        origin, destination = cleaned.get("origin"), cleaned.get("destination")
        if origin is not None and origin == destination:
            self.add_error(
                "destination", _("A transfer must go to another office than where it starts.")
            )
        return cleaned


class TransferAddForm(forms.Form):
    """Tags or serial numbers, typed or scanned (a scanner types the code and Enter)."""

    codes = forms.CharField(
        label=_("Tags or serial numbers"),
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "mono",
            }
        ),
        help_text=_("One per line. Scan the labels one after another, then press “Add”."),
    )

    def clean_codes(self) -> list[str]:
        codes = [line.strip() for line in self.cleaned_data["codes"].splitlines()]
        codes = [code for code in codes if code]
        if not codes:
            raise forms.ValidationError(_("Type or scan at least one tag or serial number."))
        if len(codes) > 2000:
            raise forms.ValidationError(_("At most 2,000 codes at once."))
        return codes


RECEIPT_CHOICES = [
    (ItemOutcome.RECEIVED, _("Received")),
    (ItemOutcome.DAMAGED, _("Damaged")),
    (ItemOutcome.MISSING, _("Missing")),
]


class TransferReceiveForm(forms.Form):
    """One row per asset still to be received: what arrived, and a note."""

    def __init__(self, *args, items: list[TransferItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            asset_id = item.asset_id
            self.fields[f"outcome_{asset_id}"] = forms.ChoiceField(
                label=item.asset.tag,
                choices=RECEIPT_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{asset_id}"] = forms.CharField(
                label=_("Note on %(tag)s") % {"tag": item.asset.tag},
                required=False,
                max_length=255,
            )

    def rows(self):
        """Return (item, outcome field, note field) for the template."""
        return [
            (item, self[f"outcome_{item.asset_id}"], self[f"note_{item.asset_id}"])
            for item in self.items
        ]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"outcome_{item.asset_id}") for item in self.items):
            raise forms.ValidationError(
                _("Tick at least one asset as received, damaged or missing.")
            )
        return cleaned

    def checks(self) -> dict[int, tuple[str, str]]:
        """Return {asset id: (outcome, note)} for the ticked rows."""
        result = {}
        for item in self.items:
            outcome = self.cleaned_data.get(f"outcome_{item.asset_id}")
            if outcome:
                result[item.asset_id] = (
                    outcome,
                    self.cleaned_data.get(f"note_{item.asset_id}", ""),
                )
        return result

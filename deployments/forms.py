"""Forms of the deployment pages. They parse and validate; the services write."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from deployments.choices import (
    SEEN_OUTCOMES,
    ActLanguage,
    AssetCondition,
    CampaignMethod,
    ItemOutcome,
    VerificationOutcome,
)
from deployments.models import Transfer, TransferItem
from deployments.sampling import SEED_MAX
from deployments.selectors import PlanGrid
from deployments.services import ACT_EDITABLE_FIELDS, CAMPAIGN_SIZE_MAX
from inventory.access import scope_offices
from inventory.choices import OfficeKind, Zone
from inventory.forms import DateInput
from inventory.models import Asset, Category, HandoverSet, Office, Region


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


# Refused by the service too; the same words next to the field.
NO_ASSETS_MESSAGE = _("An act must list at least one asset.")


class HandoverActForm(forms.Form):
    """The text of an act and, for an office's act or an edit, which devices it lists.

    ``asset_choices`` (id, label) adds a list of checkboxes, all ticked at first.
    """

    language = forms.ChoiceField(
        label=_("Language of the act"),
        choices=ActLanguage.choices,
        help_text=_("The act is printed in this language, whatever language you use here."),
    )
    act_date = forms.DateField(label=_("Date of the act"), widget=DateInput())
    place = forms.CharField(label=_("Place"), max_length=150, required=False)
    giver_name = forms.CharField(label=_("Handed over by: name"), max_length=150)
    giver_position = forms.CharField(label=_("Handed over by: position"), max_length=200)
    receiver_name = forms.CharField(label=_("Received by: name"), max_length=150)
    receiver_position = forms.CharField(label=_("Received by: position"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assets = forms.TypedMultipleChoiceField(
        label=_("Devices on the act"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NO_ASSETS_MESSAGE},
    )

    def __init__(self, *args, asset_choices: Iterable[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if asset_choices is None:
            del self.fields["assets"]
        else:
            choices = list(asset_choices)
            self.fields["assets"].choices = choices
            self.fields["assets"].initial = [value for value, _label in choices]

    def act_details(self) -> dict[str, object]:
        """Return the cleaned fields the act services take, by their names."""
        return {name: self.cleaned_data[name] for name in ACT_EDITABLE_FIELDS}


def asset_choice_label(asset: Asset) -> str:
    """Return how a device reads in an act's list of checkboxes."""
    model = asset.asset_model
    return f"{asset.tag} · {model.manufacturer.name} {model.name} · {asset.serial}"


class HandoverActSignForm(forms.Form):
    """Choose the scan of the signed paper act. The service checks what the file really is."""

    scan = forms.FileField(
        label=_("Signed scan (PDF, JPEG or PNG)"),
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        # The service's words for the same refusal.
        error_messages={"empty": _("The file is empty.")},
    )

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scan"].help_text = _(
            "At most %(limit)s MB. Once uploaded, the act is signed: its list of assets and its "
            "text are locked."
        ) % {"limit": max_mb}


# More devices of one category than any office could take: a typing slip, not a plan.
PLAN_QUANTITY_MAX = 9_999

PLAN_QUANTITY_ERRORS = {
    "invalid": _("Enter a whole number of devices."),
    "min_value": _("A planned quantity cannot be negative."),
    "max_value": _("Plan at most %(limit_value)s devices per office and category."),
}


def plan_cell_name(*, office_id: int, category_id: int) -> str:
    """Return the name of a grid cell's input."""
    return f"plan-{office_id}-{category_id}"


class PlanGridForm(forms.Form):
    """The planned quantities of the offices shown: one number per office and category.

    Each input carries the value the page showed (a hidden "initial" input), so only the cells
    the user changed are saved: two people editing different cells do not undo each other.
    A cell missing from the request is left alone. Empty or 0 removes the line.
    """

    def __init__(self, *args, grid: PlanGrid, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell_keys: dict[str, tuple[int, int]] = {}
        self.grid_cells: list[list[forms.BoundField]] = []
        for row in grid.rows:
            row_fields = []
            for category, counts in zip(grid.categories, row.cells, strict=True):
                name = plan_cell_name(office_id=row.office.pk, category_id=category.pk)
                self.fields[name] = forms.IntegerField(
                    label=_("%(category)s planned for %(office)s")
                    % {"category": category.name, "office": row.office.name},
                    required=False,
                    min_value=0,
                    max_value=PLAN_QUANTITY_MAX,
                    initial=counts.planned or None,
                    show_hidden_initial=True,
                    error_messages=PLAN_QUANTITY_ERRORS,
                    widget=forms.NumberInput(
                        attrs={"class": "plan-qty", "inputmode": "numeric", "step": "1"}
                    ),
                )
                self.cell_keys[name] = (row.office.pk, category.pk)
                row_fields.append(self[name])
            self.grid_cells.append(row_fields)

    @property
    def error_count(self) -> int:
        """Return how many cells are wrong."""
        return sum(1 for name in self.errors if name in self.cell_keys)

    def quantities(self) -> dict[tuple[int, int], int | None]:
        """Return the changed cells as plan_save takes them: (office id, category id) → n."""
        return {
            self.cell_keys[name]: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.cell_keys
        }


# Verification campaigns ---------------------------------------------------------------------


class CampaignForm(forms.Form):
    """Draw a campaign: name, what is checked, and the scope (nothing ticked: all)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    method = forms.ChoiceField(
        label=_("What is checked"),
        choices=CampaignMethod.choices,
        initial=CampaignMethod.SAMPLE,
        widget=forms.RadioSelect,
    )
    sample_size = forms.IntegerField(
        label=_("Sample size"),
        required=False,
        min_value=1,
        max_value=CAMPAIGN_SIZE_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "How many assets to draw, spread over regions and categories in proportion to "
            "their size. A sample as large as the scope checks every asset."
        ),
        error_messages={"min_value": _("A sample needs at least one asset.")},
    )
    seed = forms.IntegerField(
        label=_("Sample seed"),
        required=False,
        min_value=1,
        max_value=SEED_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "Leave empty for a new random seed; enter a recorded seed to redraw the same sample."
        ),
    )
    handover_sets = forms.ModelMultipleChoiceField(
        label=_("Handover sets"),
        queryset=HandoverSet.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every handover set."),
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=Region.objects.order_by("sort_order", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every region."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.order_by("sort_order", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("method") == CampaignMethod.SAMPLE
            and not cleaned.get("sample_size")
            and "sample_size" not in self.errors
        ):
            self.add_error("sample_size", _("Say how many assets to draw."))
        return cleaned


class ChecklistAssignForm(forms.Form):
    """Who goes to the office: a user who may verify there, or nobody yet."""

    assignee = forms.ModelChoiceField(
        label=_("Assigned to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
    )

    def __init__(self, *args, candidates: Iterable, **kwargs):
        super().__init__(*args, **kwargs)
        users = list(candidates)
        field = self.fields["assignee"]
        field.queryset = get_user_model().objects.filter(pk__in=[user.pk for user in users])
        # The choices are the candidates already loaded, so rendering costs no query.
        field.choices = [("", field.empty_label)] + [
            (user.pk, user.get_full_name() or user.get_username()) for user in users
        ]


class VerificationForm(forms.Form):
    """One check on site, phone first. The service decides what fits with what."""

    outcome = forms.ChoiceField(
        label=_("Result"), choices=VerificationOutcome.choices, widget=forms.RadioSelect
    )
    found_office = forms.ModelChoiceField(
        label=_("Found at office"),
        queryset=Office.objects.none(),
        required=False,
        help_text=_("Only when the device was found at another office than the register's."),
    )
    serial_read = forms.CharField(
        label=_("Serial number read on the device"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "mono",
            }
        ),
        help_text=_("Type it from the label, or scan the barcode."),
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=AssetCondition.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    zone = forms.ChoiceField(label=_("Zone"), choices=[("", "—"), *Zone.choices], required=False)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        error_messages={"empty": _("The photo is empty.")},
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    propose_move = forms.BooleanField(
        label=_("Propose moving it in the register to this office"),
        required=False,
        initial=True,
        help_text=_("A logistics officer confirms or rejects the move."),
    )

    def __init__(self, *args, user, asset: Asset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["found_office"].queryset = (
            scope_offices(user, Office.objects.filter(is_active=True))
            .exclude(pk=asset.office_id)
            .select_related("region")
            .order_by("region__sort_order", "code")
        )
        self.fields["zone"].initial = asset.zone
        if not user.has_perm("deployments.add_moveproposal"):
            del self.fields["propose_move"]

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if (
            outcome == VerificationOutcome.FOUND_ELSEWHERE
            and not cleaned.get("found_office")
            and "found_office" not in self.errors
        ):
            self.add_error("found_office", _("Say at which office the device was found."))
        if outcome in SEEN_OUTCOMES and not cleaned.get("condition"):
            self.add_error(
                "condition", _("Say whether the device works, is damaged or does not work.")
            )
        if outcome == VerificationOutcome.NOT_FOUND:
            # Whatever was typed before switching to “not found” does not apply.
            for name in ("found_office", "serial_read", "condition", "zone"):
                cleaned[name] = None if name == "found_office" else ""
        return cleaned


class MoveDecisionForm(forms.Form):
    """Confirm or reject a proposed move; a rejection says why."""

    action = forms.ChoiceField(
        choices=[("confirm", _("Confirm the move")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(label=_("Reason"), max_length=255, required=False)

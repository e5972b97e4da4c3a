"""Forms of the register pages. They parse and validate; the services write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inventory import labels
from inventory.access import scope_offices
from inventory.choices import AssetStatus
from inventory.models import Asset, AssetModel, CRService, Office
from inventory.services import REGISTRATION_STATUSES, allowed_next_statuses


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal next to the fields it names, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.error_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error)


class AssetForm(forms.ModelForm):
    """Register or edit an asset. The status is chosen only at registration."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the asset's history, e.g. “typo in the serial”."),
    )

    class Meta:
        model = Asset
        fields = [
            "serial",
            "tag",
            "asset_model",
            "handover_set",
            "value",
            "warranty_end",
            "status",
            "office",
            "zone",
            "custodian",
            "network_address",
            "services",
            "notes",
        ]
        widgets = {
            "warranty_end": DateInput(),
            "services": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "serial": forms.TextInput(
                attrs={"autocapitalize": "characters", "spellcheck": "false"}
            ),
        }
        help_texts = {
            "tag": _("Leave empty to generate the next tag of the category, e.g. CR-LT-000123."),
            "serial": _("Stored trimmed and in upper case; each serial can be registered once."),
            "network_address": _("IP address or host name, for devices the poller watches."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].required = False
        self.fields["asset_model"].queryset = AssetModel.objects.select_related(
            "manufacturer", "category"
        )
        self.fields["office"].queryset = scope_offices(user, Office.objects.all())
        self.fields["services"].queryset = CRService.objects.all()
        if self.instance.pk:
            del self.fields["status"]
        else:
            del self.fields["reason"]
            self.fields["status"].choices = [
                (value, label)
                for value, label in AssetStatus.choices
                if value in REGISTRATION_STATUSES
            ]

    def validate_unique(self) -> None:
        """Leave uniqueness to the service, which compares serials as the register stores them."""


class AssetStatusForm(forms.Form):
    """Move an asset along its lifecycle; only the allowed next statuses are offered."""

    to_status = forms.ChoiceField(label=_("New status"))
    office = forms.ModelChoiceField(
        label=_("Office"),
        queryset=Office.objects.none(),
        required=False,
        help_text=_("Leave empty to keep the current office."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, asset: Asset, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(AssetStatus.choices)
        self.fields["to_status"].choices = [
            (value, labels[value]) for value in allowed_next_statuses(asset.status)
        ]
        self.fields["office"].queryset = scope_offices(user, Office.objects.all())


class OfficeForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason for the change"), required=False, max_length=200)

    class Meta:
        model = Office
        fields = [
            "code",
            "kind",
            "district",
            "name_en",
            "name_ru",
            "name_tg",
            "address",
            "latitude",
            "longitude",
            "phone",
            "connectivity_notes",
            "services",
            "is_active",
        ]
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "connectivity_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = self.fields["district"].queryset.select_related("region")
        if not self.instance.pk:
            del self.fields["reason"]
            del self.fields["is_active"]

    def validate_unique(self) -> None:
        """Leave uniqueness to the service, which compares codes as stored."""


class ImportUploadForm(forms.Form):
    """Choose a spreadsheet to preview."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_MB * 1024 * 1024
        if upload.size > limit:
            raise ValidationError(
                _("The file is %(size)s MB; the largest accepted is %(limit)s MB."),
                params={
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": settings.IMPORT_MAX_MB,
                },
            )
        return upload


class AssetLabelsForm(forms.Form):
    """Options of a label sheet: the label stock, the first free position and copies per asset."""

    layout = forms.ChoiceField(label=_("Label sheet"), choices=labels.layout_choices)
    start = forms.IntegerField(
        label=_("Start at position"),
        min_value=1,
        help_text=_(
            "To use a partly used sheet: the first free label, counted left to right, "
            "then top to bottom."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    copies = forms.IntegerField(
        label=_("Copies of each label"),
        min_value=1,
        max_value=labels.MAX_COPIES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    # What the page starts with when the request names no option.
    DEFAULTS = {"layout": labels.DEFAULT_LAYOUT, "start": "1", "copies": "1"}

    def clean(self):
        data = super().clean()
        layout = labels.LAYOUTS.get(data.get("layout", ""))
        start = data.get("start")
        if layout is not None and start is not None and start > layout.per_sheet:
            self.add_error(
                "start",
                _("A sheet of this kind has %(count)s labels: start at 1 to %(count)s.")
                % {"count": layout.per_sheet},
            )
        if layout is not None:
            data["layout"] = layout
        return data

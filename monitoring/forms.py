"""Forms of monitoring: attach an asset to monitoring, change how it is polled, and the
credentials profile (used by the admin). They parse and validate; the services write.

Secrets are write-only: the field is a password box that is never filled in; a stored secret
shows as "•••• (set)" beside it, and leaving the box empty keeps it.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory import selectors as inventory_selectors
from inventory.access import scope_regions
from inventory.models import Asset, CRService, District, Region
from monitoring import services
from monitoring.choices import AuthProtocol, FaultCategory, PrivProtocol, Readiness, SnmpVersion
from monitoring.models import (
    RETRIES_MAX,
    TIMEOUT_MAX_S,
    TIMEOUT_MIN_S,
    MonitoredDevice,
    SnmpProfile,
)
from monitoring.secrets import secret_mask
from monitoring.selectors import NOT_READY, AvailabilityFilters, ReadinessFilters


class MonitoredDeviceForm(forms.Form):
    """Where and how to poll a device; with ``asset_text`` when attaching a new one."""

    asset_text = forms.CharField(
        label=_("Asset tag or serial"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    profile = forms.ModelChoiceField(label=_("SNMP profile"), queryset=SnmpProfile.objects.none())
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        required=False,
        help_text=_("IP address or host name. Empty: the asset's network address in the register."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
    )
    port = forms.IntegerField(label=_("UDP port"), initial=161, min_value=1, max_value=65535)
    timeout_s = forms.FloatField(
        label=_("Timeout (seconds)"),
        initial=2.0,
        min_value=TIMEOUT_MIN_S,
        max_value=TIMEOUT_MAX_S,
        help_text=_("How long to wait for each answer. Slow links to far offices need more."),
    )
    retries = forms.IntegerField(label=_("Retries"), initial=1, min_value=0, max_value=RETRIES_MAX)
    enabled = forms.BooleanField(label=_("Poll this device"), required=False, initial=True)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Kept in the device's history."),
    )

    def __init__(self, *args, user=None, device: MonitoredDevice | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device
        self.fields["profile"].queryset = SnmpProfile.objects.order_by("name")
        if device is not None:
            del self.fields["asset_text"]
        else:
            del self.fields["reason"]

    def clean_asset_text(self) -> Asset:
        text = self.cleaned_data["asset_text"]
        asset = inventory_selectors.asset_find_exact(user=self.user, text=text)
        if asset is None:
            raise forms.ValidationError(
                _("No asset with the tag or serial “%(text)s” in your scope."),
                params={"text": text.strip()},
            )
        return inventory_selectors.asset_get(user=self.user, pk=asset.pk)


def _secret_field(label, help_text) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=255,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class SnmpProfileForm(forms.ModelForm):
    """A credentials profile; the secrets are typed, never shown back."""

    community = _secret_field(_("Community"), _("SNMP v1 and v2c."))
    auth_key = _secret_field(_("Authentication key"), _("SNMP v3; at least 8 characters."))
    priv_key = _secret_field(_("Privacy key"), _("SNMP v3; at least 8 characters."))

    class Meta:
        model = SnmpProfile
        fields = [
            "name",
            "version",
            "community",
            "v3_user",
            "auth_proto",
            "auth_key",
            "priv_proto",
            "priv_key",
            "context",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    SECRETS = {
        "community": "community_encrypted",
        "auth_key": "auth_key_encrypted",
        "priv_key": "priv_key_encrypted",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = SnmpVersion.choices
        self.fields["auth_proto"].choices = AuthProtocol.choices
        self.fields["priv_proto"].choices = PrivProtocol.choices
        for name, attribute in self.SECRETS.items():
            mask = secret_mask(getattr(self.instance, attribute, ""))
            if mask:
                self.fields[name].help_text = _("%(mask)s — leave empty to keep it. %(help)s") % {
                    "mask": mask,
                    "help": self.fields[name].help_text,
                }

    def _post_clean(self):
        # The service checks the values and encrypts the secrets onto the instance; a field
        # already refused by the form is not refused twice.
        if self._errors:
            return
        data = self.cleaned_data
        try:
            services.snmp_profile_fill(
                profile=self.instance,
                name=data.get("name", ""),
                version=data.get("version", ""),
                community=data.get("community") or None,
                v3_user=data.get("v3_user", ""),
                auth_proto=data.get("auth_proto", ""),
                auth_key=data.get("auth_key") or None,
                priv_proto=data.get("priv_proto", ""),
                priv_key=data.get("priv_key") or None,
                context=data.get("context", ""),
                notes=data.get("notes", ""),
            )
        except forms.ValidationError as error:
            self._update_errors(error)


# =================================================================================================
# Repairs (issue 6)
# =================================================================================================


def technician_choices():
    """Return the active technicians, for "who works on it" (one query when rendered)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name="technician")
        .order_by("username")
    )


class RepairTicketForm(forms.Form):
    """Open a repair ticket. The asset is given by tag or serial (prefilled from a page)."""

    asset_text = forms.CharField(
        label=_("Asset tag or serial"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    fault = forms.ChoiceField(label=_("Fault"), choices=FaultCategory.choices)
    description = forms.CharField(
        label=_("What is wrong"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    stops_work = forms.BooleanField(
        label=_("The device cannot be used"),
        required=False,
        initial=True,
        help_text=_("It goes to “In repair” until the ticket is resolved."),
    )
    reported_by = forms.CharField(
        label=_("Reported by"),
        required=False,
        max_length=150,
        help_text=_("E.g. the office head; leave empty when you found it yourself."),
    )
    assignee = forms.ModelChoiceField(
        label=_("Who works on it"), queryset=technician_choices(), required=False
    )
    warranty_claim = forms.BooleanField(label=_("Warranty claim"), required=False)
    supplier_reference = forms.CharField(
        label=_("Supplier's reference"), required=False, max_length=100
    )
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = technician_choices()


class WorkEntryForm(forms.Form):
    """Log work on a ticket. The button pressed (``to_status`` in the request) gives the step,
    if any; the service checks it."""

    minutes = forms.IntegerField(
        label=_("Minutes spent"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    parts = forms.CharField(label=_("Parts used"), required=False, max_length=255)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    confirm_retire = forms.BooleanField(
        label=_("Yes, it is beyond repair: retire the asset"), required=False
    )


class RepairWarrantyForm(forms.Form):
    warranty_claim = forms.BooleanField(label=_("Warranty claim"), required=False)
    supplier_reference = forms.CharField(
        label=_("Supplier's reference"), required=False, max_length=100
    )


# --- Service readiness (issue 8) ----------------------------------------------------------------


class ReadinessFilterForm(forms.Form):
    """Which offices and services the readiness overview (and its workbook) shows."""

    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=None, required=False, empty_label=_("All districts")
    )
    service = forms.ModelChoiceField(
        label=_("CR service"), queryset=None, required=False, empty_label=_("All services")
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    q = forms.CharField(label=_("Office"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = scope_regions(user, Region.objects.all())
        self.fields["region"].queryset = regions
        self.fields["district"].queryset = District.objects.filter(region__in=regions)
        self.fields["service"].queryset = CRService.objects.all()
        self.fields["state"].choices = [
            ("", _("Any state")),
            (NOT_READY, _("Any service not ready")),
            *[
                (state.value, _("Any service “%(state)s”") % {"state": state.label})
                for state in Readiness
            ],
        ]
        self.fields["q"].widget.attrs.update(placeholder=_("Code or name"))

    def readiness_filters(self) -> ReadinessFilters:
        """Return the filters chosen (none when the form is not valid)."""
        if not self.is_valid():
            return ReadinessFilters()
        data = self.cleaned_data
        return ReadinessFilters(
            region=data.get("region"),
            district=data.get("district"),
            service=data.get("service"),
            state=data.get("state") or "",
            q=(data.get("q") or "").strip(),
        )


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class AvailabilityFilterForm(forms.Form):
    """The month, region and service the availability report covers."""

    month = forms.DateField(
        label=_("Month"), required=False, input_formats=["%Y-%m"], widget=MonthInput()
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    service = forms.ModelChoiceField(
        label=_("CR service"), queryset=None, required=False, empty_label=_("All services")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.this_month = timezone.localdate().replace(day=1)
        self.fields["month"].initial = self.this_month
        self.fields["region"].queryset = scope_regions(user, Region.objects.all())
        self.fields["service"].queryset = CRService.objects.all()

    def clean_month(self):
        month = self.cleaned_data.get("month")
        if month is None:
            return None
        month = month.replace(day=1)
        if month > self.this_month:
            raise forms.ValidationError(_("The month has not started yet."))
        return month

    def availability_filters(self) -> AvailabilityFilters:
        """Return the filters chosen; the month under way when none (or the form is not valid)."""
        if not self.is_valid():
            return AvailabilityFilters(month=self.this_month)
        data = self.cleaned_data
        return AvailabilityFilters(
            month=data.get("month") or self.this_month,
            region=data.get("region"),
            service=data.get("service"),
        )


class ImpactFindForm(forms.Form):
    """Find the device whose impact to show, by its tag or serial."""

    q = forms.CharField(
        label=_("Asset tag or serial"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )

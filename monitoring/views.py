"""Monitoring pages: the list of monitored devices, attaching an asset, its settings, and
"Poll now". Thin: parse, call one selector or service, respond. A device's own page is its
asset's page, where the monitoring panel (monitoring.panels) shows its health."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from inventory import selectors as inventory_selectors
from inventory.exports import EXPORT_PARAM
from inventory.forms import add_service_errors
from inventory.models import Asset
from inventory.views import ListPageMixin
from monitoring import selectors, services
from monitoring.choices import Health
from monitoring.filtersets import MonitoredDeviceFilterSet
from monitoring.forms import MonitoredDeviceForm
from monitoring.models import MonitoredDevice
from monitoring.rules import problem_text, unreachable_problem
from monitoring.tables import MonitoredDeviceTable


class MonitoredDeviceListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "monitoring.view_monitoreddevice"
    table_class = MonitoredDeviceTable
    filterset_class = MonitoredDeviceFilterSet
    template_name = "monitoring/monitoreddevice_list.html"
    export_name = "monitored-devices"

    def get_queryset(self):
        return selectors.monitored_device_queryset(user=self.request.user)

    def get_table_kwargs(self):
        if self.request.GET.get(EXPORT_PARAM):
            return super().get_table_kwargs()
        return {**super().get_table_kwargs(), "exclude": ("health_since",)}


class ScopedDeviceMixin:
    """Load the monitored device named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.device = selectors.monitored_device_get(user=request.user, pk=kwargs["pk"])
            except MonitoredDevice.DoesNotExist as exc:
                raise Http404(_("No such monitored device in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class MonitoredDeviceCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Attach an asset to monitoring; ``?asset=<pk>`` comes from the asset's page."""

    permission_required = "monitoring.add_monitoreddevice"
    form_class = MonitoredDeviceForm
    template_name = "monitoring/monitoreddevice_form.html"

    def get_initial(self):
        initial = super().get_initial()
        asset_id = self.request.GET.get("asset", "")
        if asset_id.isdigit():
            try:
                asset = inventory_selectors.asset_get(user=self.request.user, pk=int(asset_id))
            except Asset.DoesNotExist as exc:
                raise Http404(_("No such asset in your scope.")) from exc
            initial.update(asset_text=asset.tag, address=asset.network_address)
            self.asset = asset
        profiles = list(selectors.snmp_profiles()[:2])
        if len(profiles) == 1:
            initial["profile"] = profiles[0].pk
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "asset": getattr(self, "asset", None)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            device = services.monitored_device_add(
                by=self.request.user,
                asset=data["asset_text"],
                profile=data["profile"],
                address=data.get("address") or "",
                port=data["port"],
                enabled=data.get("enabled", False),
                timeout_s=data["timeout_s"],
                retries=data["retries"],
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(tag)s is now monitored at %(address)s. Its first poll comes with the next round.")
            % {"tag": device.asset.tag, "address": device.address},
        )
        return HttpResponseRedirect(device.get_absolute_url())


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form; "asset" goes to the asset box."""
    if hasattr(error, "error_dict") and "asset" in error.error_dict:
        error = ValidationError(
            {("asset_text" if k == "asset" else k): v for k, v in error.error_dict.items()}
        )
    add_service_errors(form, error)


class MonitoredDeviceUpdateView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedDeviceMixin, FormView
):
    permission_required = "monitoring.change_monitoreddevice"
    form_class = MonitoredDeviceForm
    template_name = "monitoring/monitoreddevice_form.html"

    def get_initial(self):
        device = self.device
        return {name: getattr(device, name) for name in services.DEVICE_EDITABLE_FIELDS}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "device": self.device}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "device": self.device}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.monitored_device_update(
                device=self.device,
                by=self.request.user,
                reason=data.get("reason") or "",
                address=data.get("address") or "",
                port=data["port"],
                profile=data["profile"],
                enabled=data.get("enabled", False),
                timeout_s=data["timeout_s"],
                retries=data["retries"],
            )
        except ValidationError as error:
            _add_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Monitoring of %(tag)s saved.") % {"tag": self.device.asset.tag}
        )
        return HttpResponseRedirect(self.device.get_absolute_url())


class MonitoredDevicePollView(LoginRequiredMixin, PermissionRequiredMixin, ScopedDeviceMixin, View):
    """POST: poll the device now, save the outcome, and show it on the asset's page."""

    permission_required = "monitoring.poll_monitoreddevice"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        device = self.device
        try:
            outcome = services.monitored_device_poll_now(device=device, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(device.get_absolute_url())
        device, result = outcome.device, outcome.result
        if result.overloaded:
            messages.warning(
                request,
                _("The poller was too busy to poll %(tag)s just now. Try again in a moment.")
                % {"tag": device.asset.tag},
            )
        elif result.reachable:
            level = messages.success if device.health == Health.UP else messages.warning
            level(
                request,
                _("%(tag)s answered in %(ms)s ms: %(health)s.")
                % {
                    "tag": device.asset.tag,
                    "ms": f"{result.response_ms:.0f}" if result.response_ms is not None else "?",
                    "health": device.get_health_display(),
                },
            )
        else:
            messages.error(
                request,
                _("%(tag)s did not answer: %(reason)s")
                % {
                    "tag": device.asset.tag,
                    "reason": problem_text(unreachable_problem(result.error)),
                },
            )
        return redirect(device.get_absolute_url())

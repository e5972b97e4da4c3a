"""Monitoring pages: the list of monitored devices, attaching an asset, its settings, and
"Poll now". Thin: parse, call one selector or service, respond. A device's own page is its
asset's page, where the monitoring panel (monitoring.panels) shows its health."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from inventory import selectors as inventory_selectors
from inventory.access import user_roles
from inventory.exports import EXPORT_PARAM, workbook_response
from inventory.forms import add_service_errors
from inventory.models import Asset, Office
from inventory.views import ListPageMixin
from monitoring import selectors, services
from monitoring.choices import Health, RepairStatus
from monitoring.exports import availability_workbook, readiness_workbook
from monitoring.filtersets import AlertFilterSet, MonitoredDeviceFilterSet, RepairTicketFilterSet
from monitoring.forms import (
    AvailabilityFilterForm,
    ImpactFindForm,
    MonitoredDeviceForm,
    ReadinessFilterForm,
    RepairTicketForm,
    RepairWarrantyForm,
    WorkEntryForm,
)
from monitoring.models import Alert, MonitoredDevice, RepairTicket
from monitoring.rules import problem_text, unreachable_problem
from monitoring.services import ACK_NOTE_MAX
from monitoring.tables import AlertTable, MonitoredDeviceTable, RepairTicketTable, downtime_words


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


# =================================================================================================
# Repairs (issue 6): the ticket list, opening a ticket, a ticket's page with its work entries
# and steps, and "My work".
# =================================================================================================


WORK_PERMISSIONS = ["monitoring.add_workentry", "monitoring.change_repairticket"]


class RepairTicketListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "monitoring.view_repairticket"
    table_class = RepairTicketTable
    filterset_class = RepairTicketFilterSet
    template_name = "monitoring/repairticket_list.html"
    export_name = "repair-tickets"

    def get_queryset(self):
        return selectors.repair_ticket_queryset(user=self.request.user)


class RepairTicketCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Open a ticket; ``?asset=<pk>`` comes from the asset's page, ``?alert=<pk>`` from an alert."""

    permission_required = "monitoring.add_repairticket"
    form_class = RepairTicketForm
    template_name = "monitoring/repairticket_form.html"

    def get_initial(self):
        initial = super().get_initial()
        user = self.request.user
        self.asset = self.alert = None
        alert_id = self.request.GET.get("alert", "")
        asset_id = self.request.GET.get("asset", "")
        if alert_id.isdigit():
            self.alert = selectors.alert_for_ticket(user=user, pk=int(alert_id))
            if self.alert is None:
                raise Http404(_("No such alert in your scope."))
            self.asset = self.alert.device.asset
            initial.update(alert=self.alert.pk, description=self.alert.message)
        elif asset_id.isdigit():
            try:
                self.asset = inventory_selectors.asset_get(user=user, pk=int(asset_id))
            except Asset.DoesNotExist as exc:
                raise Http404(_("No such asset in your scope.")) from exc
        if self.asset is not None:
            initial["asset_text"] = self.asset.tag
        if "technician" in user_roles(user):
            initial["assignee"] = user.pk
        return initial

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "asset": self.asset,
            "alert": self.alert,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        user = self.request.user
        asset = inventory_selectors.asset_find_exact(user=user, text=data["asset_text"])
        if asset is None:
            form.add_error(
                "asset_text",
                _("No asset with the tag or serial “%(text)s” in your scope.")
                % {"text": data["asset_text"]},
            )
            return self.form_invalid(form)
        alert = None
        if data.get("alert"):
            alert = selectors.alert_for_ticket(user=user, pk=data["alert"])
        try:
            ticket = services.repair_ticket_open(
                asset=asset,
                by=user,
                fault=data["fault"],
                description=data.get("description") or "",
                reported_by=data.get("reported_by") or "",
                assignee=data.get("assignee"),
                stops_work=data.get("stops_work", False),
                alert=alert,
                warranty_claim=data.get("warranty_claim", False),
                supplier_reference=data.get("supplier_reference") or "",
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Ticket %(number)s opened for %(tag)s.")
            % {"number": ticket.number, "tag": asset.tag},
        )
        return HttpResponseRedirect(ticket.get_absolute_url())


class ScopedTicketMixin:
    """Load the ticket named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.ticket = selectors.repair_ticket_get(user=request.user, pk=kwargs["pk"])
            except RepairTicket.DoesNotExist as exc:
                raise Http404(_("No such repair ticket in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class RepairTicketDetailView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedTicketMixin, FormView
):
    """A ticket, its work entries, and (for who may work on it) the work-entry form whose
    buttons take the workflow's steps."""

    permission_required = "monitoring.view_repairticket"
    form_class = WorkEntryForm
    template_name = "monitoring/repairticket_detail.html"

    def post(self, request, *args, **kwargs):
        if not request.user.has_perms(WORK_PERMISSIONS):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ticket = self.ticket
        user = self.request.user
        can_work = ticket.is_open and user.has_perms(WORK_PERMISSIONS)
        return {
            **super().get_context_data(**kwargs),
            "ticket": ticket,
            "asset": ticket.asset,
            "entries": selectors.repair_ticket_entries(ticket=ticket),
            "next_statuses": [
                (value, RepairStatus(value).label)
                for value in services.repair_next_statuses(ticket.status)
            ]
            if can_work
            else [],
            "can_work": can_work,
            "warranty_form": RepairWarrantyForm(
                initial={
                    "warranty_claim": ticket.warranty_claim,
                    "supplier_reference": ticket.supplier_reference,
                }
            )
            if user.has_perm("monitoring.change_repairticket")
            else None,
            "downtime": downtime_words(ticket.downtime),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        ticket = self.ticket
        to_status = self.request.POST.get("to_status") or None
        try:
            services.repair_ticket_step(
                ticket=ticket,
                by=self.request.user,
                to_status=to_status,
                minutes=data.get("minutes") or 0,
                parts=data.get("parts") or "",
                note=data.get("note") or "",
                photo=data.get("photo"),
                confirm_retire=data.get("confirm_retire", False),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        ticket.refresh_from_db()
        if to_status and to_status != RepairStatus.OPEN:
            messages.success(
                self.request,
                _("Ticket %(number)s is now “%(status)s”.")
                % {"number": ticket.number, "status": ticket.get_status_display()},
            )
        else:
            messages.success(
                self.request, _("Work on %(number)s saved.") % {"number": ticket.number}
            )
        return HttpResponseRedirect(ticket.get_absolute_url())


class RepairTicketWarrantyView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedTicketMixin, View
):
    """POST: mark the ticket as a warranty claim (or not) with the supplier's reference."""

    permission_required = "monitoring.change_repairticket"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = RepairWarrantyForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        try:
            services.repair_ticket_warranty(
                ticket=self.ticket,
                by=request.user,
                warranty_claim=data.get("warranty_claim", False),
                supplier_reference=data.get("supplier_reference") or "",
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Warranty claim saved."))
        return redirect(self.ticket.get_absolute_url())


class MyWorkView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Open tickets and open alerts in my regions, by office (region, then office name)."""

    permission_required = "monitoring.view_repairticket"
    template_name = "monitoring/my_work.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "work": selectors.my_work(user=self.request.user),
        }


# Alerts --------------------------------------------------------------------------------
class AlertListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "monitoring.view_alert"
    table_class = AlertTable
    filterset_class = AlertFilterSet
    template_name = "monitoring/alert_list.html"
    export_name = "alerts"

    def get_queryset(self):
        return selectors.alert_queryset(user=self.request.user)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.can_acknowledge = self.request.user.has_perm("monitoring.acknowledge_alert")
        table.can_see_impact = self.request.user.has_perm("monitoring.view_readinessperiod")
        return table


class AlertAcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=ACK_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you know or will do, e.g. “toner ordered”."),
    )


class AlertAcknowledgeView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "monitoring.acknowledge_alert"
    form_class = AlertAcknowledgeForm
    template_name = "monitoring/alert_acknowledge.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.alert = selectors.alert_get(user=request.user, pk=kwargs["pk"])
            except Alert.DoesNotExist as exc:
                raise Http404(_("No such alert in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "alert": self.alert}

    def form_valid(self, form):
        try:
            services.alert_acknowledge(
                alert=self.alert, by=self.request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("Alert acknowledged."))
        return redirect("alert_list")


# =================================================================================================
# Service readiness (issue 8): the national overview (and its workbook), "Recompute now", an
# office's readiness, the impact of a device and a month's availability (and its workbook).
# =================================================================================================

READINESS_PERMISSION = "monitoring.view_readinessperiod"
RECOMPUTE_PERMISSION = "monitoring.add_readinessrun"


def _query_with(query: QueryDict, **changes) -> str:
    """Return ``query`` with some parameters set (or dropped when None), URL-encoded."""
    query = query.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def _count_rows(lines, *, query: QueryDict, region_pk: int | None = None) -> list:
    """Return each service's counts as (service, [(count, URL of its offices)], total)."""
    rows = []
    for line in lines:
        cells = []
        for cell in line.counts.cells:
            url = ""
            if cell.count:
                changes = {"service": line.service.pk, "state": cell.state}
                if region_pk is not None:
                    changes.update(region=region_pk, district=None)
                url = "?" + _query_with(query, **changes)
            cells.append((cell, url))
        rows.append((line.service, cells, line.counts.total))
    return rows


class ReadinessOverviewView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Offices × services from the stored state, by region; the grid of one region at a time."""

    permission_required = READINESS_PERMISSION
    template_name = "monitoring/readiness_overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        form = ReadinessFilterForm(request.GET or None, user=request.user)
        filters = form.readiness_filters()
        overview = selectors.readiness_overview(user=request.user, filters=filters)
        # The grid of 5,000 offices would be 50,000 cells: by default only the counts, and the
        # offices once the filters pick some (or all there are fit one region).
        show_grid = filters.narrowed or len(overview.regions) <= 1
        rows = overview.rows[: selectors.READINESS_GRID_MAX] if show_grid else []
        query = request.GET.copy()
        context.update(
            form=form,
            overview=overview,
            show_grid=show_grid,
            rows=rows,
            capped=show_grid and len(overview.rows) > len(rows),
            grid_max=selectors.READINESS_GRID_MAX,
            national_rows=_count_rows(overview.by_service, query=query),
            region_rows=[
                (
                    region,
                    "?" + _query_with(query, region=region.region.pk, district=None),
                    _count_rows(region.by_service, query=query, region_pk=region.region.pk),
                )
                for region in overview.regions
            ],
            state_labels=[selectors.readiness_label(s) for s in selectors.READINESS_STATES],
            query=query.urlencode(),
            can_recompute=request.user.has_perm(RECOMPUTE_PERMISSION),
        )
        return context


class ReadinessWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The overview as an Excel workbook: the same filters, every office."""

    permission_required = READINESS_PERMISSION

    def get(self, request):
        form = ReadinessFilterForm(request.GET or None, user=request.user)
        overview = selectors.readiness_overview(
            user=request.user, filters=form.readiness_filters(), with_details=True
        )
        return workbook_response(
            lambda file: readiness_workbook(file, overview=overview, user=request.user),
            name="readiness",
        )


class ReadinessRecomputeView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """POST: recompute every office's readiness now, then go back to the page asked from."""

    permission_required = RECOMPUTE_PERMISSION
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        summary = services.readiness_refresh()
        messages.success(
            request,
            _(
                "Readiness of %(offices)s offices recomputed in %(seconds)s s: "
                "%(changes)s services changed state."
            )
            % {
                "offices": summary.offices,
                "seconds": f"{summary.duration_s:.1f}",
                "changes": summary.opened,
            },
        )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("readiness_overview")
        return HttpResponseRedirect(target)


class ReadinessOfficeView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """One office's services computed now, with the reasons, its history and availability."""

    permission_required = READINESS_PERMISSION
    template_name = "monitoring/readiness_office.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            office = inventory_selectors.office_get(user=self.request.user, pk=kwargs["pk"])
        except Office.DoesNotExist as exc:
            raise Http404(_("No such office in your scope.")) from exc
        context.update(
            office=office,
            report=selectors.readiness_office(office=office),
            history_days=selectors.READINESS_HISTORY_DAYS,
        )
        return context


class ReadinessImpactView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Which services a device (or an alert's device) puts at risk: ``?asset=``, ``?alert=``,
    or ``?q=`` a tag or serial."""

    permission_required = READINESS_PERMISSION
    template_name = "monitoring/readiness_impact.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        self.asset = self.alert = None
        self.form = ImpactFindForm()
        alert_id = request.GET.get("alert", "")
        asset_id = request.GET.get("asset", "")
        if alert_id.isdigit():
            try:
                self.alert = selectors.alert_get(user=user, pk=int(alert_id))
            except Alert.DoesNotExist as exc:
                raise Http404(_("No such alert in your scope.")) from exc
            asset_id = str(self.alert.device.asset_id)
        if asset_id.isdigit():
            try:
                self.asset = inventory_selectors.asset_get(user=user, pk=int(asset_id))
            except Asset.DoesNotExist as exc:
                raise Http404(_("No such asset in your scope.")) from exc
            self.form = ImpactFindForm(initial={"q": self.asset.tag})
        elif "q" in request.GET:
            self.form = ImpactFindForm(request.GET)
            if self.form.is_valid():
                text = self.form.cleaned_data["q"]
                found = inventory_selectors.asset_find_exact(user=user, text=text)
                if found is not None:
                    return redirect(f"{reverse('readiness_impact')}?asset={found.pk}")
                self.form.add_error(
                    "q",
                    _("No asset with the tag or serial “%(text)s” in your scope.") % {"text": text},
                )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.form,
            asset=self.asset,
            alert=self.alert,
            impact=selectors.readiness_asset_impact(asset=self.asset) if self.asset else None,
        )
        return context


class ReadinessAvailabilityView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """A month's share of time ready per office and service, with the means by region."""

    permission_required = READINESS_PERMISSION
    template_name = "monitoring/readiness_availability.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        form = AvailabilityFilterForm(request.GET or None, user=request.user)
        filters = form.availability_filters()
        report = selectors.readiness_availability(user=request.user, filters=filters)
        show_grid = filters.region is not None or len(report.regions) <= 1
        rows = report.rows[: selectors.READINESS_GRID_MAX] if show_grid else []
        query = request.GET.copy()
        query["month"] = filters.month.strftime("%Y-%m")
        context.update(
            form=form,
            report=report,
            show_grid=show_grid,
            rows=rows,
            capped=show_grid and len(report.rows) > len(rows),
            grid_max=selectors.READINESS_GRID_MAX,
            region_links=[
                (region, "?" + _query_with(query, region=region.region.pk))
                for region in report.regions
            ],
            target=selectors.AVAILABILITY_TARGET,
            query=query.urlencode(),
        )
        return context


class ReadinessAvailabilityWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A month's availability as an Excel workbook: the same filters, every office."""

    permission_required = READINESS_PERMISSION

    def get(self, request):
        form = AvailabilityFilterForm(request.GET or None, user=request.user)
        report = selectors.readiness_availability(
            user=request.user, filters=form.availability_filters()
        )
        return workbook_response(
            lambda file: availability_workbook(file, report=report, user=request.user),
            name="availability",
        )

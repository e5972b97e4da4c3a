"""Alert pages (issue 6): the list, and acknowledging one alert with a note. Thin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from inventory.views import ListPageMixin
from monitoring import alerts_selectors, services
from monitoring.alerts_filtersets import AlertFilterSet
from monitoring.alerts_services import ACK_NOTE_MAX
from monitoring.alerts_tables import AlertTable
from monitoring.models import Alert


class AlertListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "monitoring.view_alert"
    table_class = AlertTable
    filterset_class = AlertFilterSet
    template_name = "monitoring/alert_list.html"
    export_name = "alerts"

    def get_queryset(self):
        return alerts_selectors.alert_queryset(user=self.request.user)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.can_acknowledge = self.request.user.has_perm("monitoring.acknowledge_alert")
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
                self.alert = alerts_selectors.alert_get(user=request.user, pk=kwargs["pk"])
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

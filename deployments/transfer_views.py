"""Transfer pages: open, fill by scanning or picking, dispatch, receive. Thin: one service each."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView
from django_tables2 import RequestConfig

from deployments import selectors, services
from deployments.choices import TransferStatus
from deployments.models import Transfer
from deployments.transfer_filtersets import TransferFilterSet, TransferPickFilterSet
from deployments.transfer_forms import TransferAddForm, TransferForm, TransferReceiveForm
from deployments.transfer_tables import TransferPickTable, TransferTable
from inventory.access import scope_offices
from inventory.forms import add_service_errors
from inventory.models import Office
from inventory.views import ListPageMixin


class TransferListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "deployments.view_transfer"
    table_class = TransferTable
    filterset_class = TransferFilterSet
    template_name = "deployments/transfer_list.html"

    def get_queryset(self):
        return selectors.transfer_list_queryset(user=self.request.user)


class TransferCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "deployments.add_transfer"
    form_class = TransferForm
    template_name = "deployments/transfer_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            transfer = services.transfer_create(
                by=self.request.user,
                origin=data["origin"],
                destination=data["destination"],
                destination_zone=data["destination_zone"],
                carrier=data.get("carrier") or "",
                notes=data.get("notes") or "",
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Transfer %(number)s opened. Now add the assets.") % {"number": transfer.number},
        )
        return HttpResponseRedirect(transfer.get_absolute_url())


class ScopedTransferMixin:
    """Load the transfer named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.transfer = selectors.transfer_get(user=request.user, pk=kwargs["pk"])
            except Transfer.DoesNotExist as exc:
                raise Http404(_("No such transfer in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class TransferDetailView(LoginRequiredMixin, PermissionRequiredMixin, ScopedTransferMixin, View):
    """The transfer, its assets, and (while a draft) adding them by scan or from a list."""

    permission_required = "deployments.view_transfer"
    template_name = "deployments/transfer_detail.html"

    def _can_edit(self) -> bool:
        return self.transfer.status == TransferStatus.DRAFT and self.request.user.has_perm(
            "deployments.change_transfer"
        )

    def _can_receive(self) -> bool:
        user = self.request.user
        return (
            self.transfer.status in (TransferStatus.DISPATCHED, TransferStatus.PARTLY_RECEIVED)
            and user.has_perm("deployments.receive_transfer")
            and scope_offices(user, Office.objects.filter(pk=self.transfer.destination_id)).exists()
        )

    def _context(self, *, add_form=None, refused=()):
        transfer = self.transfer
        items = selectors.transfer_items(transfer=transfer)
        context = {
            "transfer": transfer,
            "items": items,
            "outstanding": [item for item in items if item.is_open],
            "can_edit": self._can_edit(),
            "can_receive": self._can_receive(),
            "acts": list(transfer.handover_acts.order_by("-number")),
            "refused": refused,
        }
        if context["can_edit"]:
            context["add_form"] = add_form or TransferAddForm()
            pick = TransferPickFilterSet(
                self.request.GET or None,
                queryset=selectors.transfer_pick_candidates(transfer=transfer),
                request=self.request,
            )
            table = TransferPickTable(pick.qs)
            RequestConfig(self.request, paginate={"per_page": settings.PAGE_SIZE}).configure(table)
            context["pick_filter"] = pick
            context["pick_table"] = table
        return context

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, self._context())

    def post(self, request, *args, **kwargs):
        if not self._can_edit():
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            if action == "add":
                return self._add(request)
            if action == "pick":
                result = services.transfer_add_assets(
                    transfer=self.transfer,
                    by=request.user,
                    asset_ids=[pk for pk in request.POST.getlist("asset_ids") if pk.isdigit()],
                )
                self._report_added(result)
            elif action == "remove":
                removed = services.transfer_remove_assets(
                    transfer=self.transfer,
                    by=request.user,
                    asset_ids=[pk for pk in request.POST.getlist("asset_ids") if pk.isdigit()],
                )
                messages.success(
                    request,
                    ngettext("%(n)s asset removed.", "%(n)s assets removed.", removed)
                    % {"n": removed},
                )
            elif action == "dispatch":
                services.transfer_dispatch(transfer=self.transfer, by=request.user)
                messages.success(
                    request,
                    _("Transfer %(number)s dispatched: its assets are now in transit.")
                    % {"number": self.transfer.number},
                )
            elif action == "cancel":
                services.transfer_cancel(transfer=self.transfer, by=request.user)
                messages.success(
                    request, _("Transfer %(number)s cancelled.") % {"number": self.transfer.number}
                )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(self.transfer.get_absolute_url())

    def _report_added(self, result) -> None:
        if result.added:
            messages.success(
                self.request,
                ngettext("%(n)s asset added.", "%(n)s assets added.", len(result.added))
                % {"n": len(result.added)},
            )
        for refusal in result.refused:
            messages.error(self.request, refusal.reason)

    def _add(self, request):
        form = TransferAddForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self._context(add_form=form), status=400)
        result = services.transfer_add_assets(
            transfer=self.transfer, by=request.user, codes=form.cleaned_data["codes"]
        )
        if not result.refused:
            self._report_added(result)
            return redirect(self.transfer.get_absolute_url())
        # Keep the refused codes in the box, so they can be corrected and added again.
        if result.added:
            messages.success(
                request,
                ngettext("%(n)s asset added.", "%(n)s assets added.", len(result.added))
                % {"n": len(result.added)},
            )
        retry = TransferAddForm(initial={"codes": "\n".join(r.code for r in result.refused)})
        self.transfer.refresh_from_db()
        return render(
            request,
            self.template_name,
            self._context(add_form=retry, refused=result.refused),
            status=200,
        )


class TransferReceiveView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedTransferMixin, FormView
):
    """Tick each asset that arrived as received, damaged or missing."""

    permission_required = "deployments.receive_transfer"
    template_name = "deployments/transfer_receive.html"
    form_class = TransferReceiveForm

    def get(self, request, *args, **kwargs):
        if not self._receivable():
            return redirect(self.transfer.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self._receivable():
            return redirect(self.transfer.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def _receivable(self) -> bool:
        user = self.request.user
        if not scope_offices(user, Office.objects.filter(pk=self.transfer.destination_id)).exists():
            raise PermissionDenied
        if self.transfer.status not in (
            TransferStatus.DISPATCHED,
            TransferStatus.PARTLY_RECEIVED,
        ):
            messages.info(
                self.request,
                _("Transfer %(number)s is “%(status)s”: there is nothing to receive.")
                % {"number": self.transfer.number, "status": self.transfer.get_status_display()},
            )
            return False
        return True

    def get_form_kwargs(self):
        items = [item for item in selectors.transfer_items(transfer=self.transfer) if item.is_open]
        return {**super().get_form_kwargs(), "items": items}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "transfer": self.transfer}

    def form_valid(self, form):
        checks = {
            asset_id: services.ItemCheck(outcome, note)
            for asset_id, (outcome, note) in form.checks().items()
        }
        try:
            transfer = services.transfer_receive(
                transfer=self.transfer, by=self.request.user, checks=checks
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if transfer.status == TransferStatus.RECEIVED:
            messages.success(
                self.request,
                _("Transfer %(number)s is fully received.") % {"number": transfer.number},
            )
        else:
            messages.warning(
                self.request,
                _("Receipt saved. Transfer %(number)s still has assets outstanding.")
                % {"number": transfer.number},
            )
        return HttpResponseRedirect(transfer.get_absolute_url())

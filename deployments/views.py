"""Deployment pages: the plan, transfers, handover acts and verification campaigns. Thin:
parse, call one service or selector, respond."""

from __future__ import annotations

import posixpath
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from django_tables2 import RequestConfig

from config.pdf import PdfUnavailable, html_to_pdf
from deployments import selectors, services
from deployments.choices import ActLanguage, ActStatus, CampaignMethod, TransferStatus
from deployments.documents import ActDocument, act_absolute_url, act_document
from deployments.filtersets import (
    CampaignFilterSet,
    HandoverActFilterSet,
    MoveProposalFilterSet,
    PlanOfficeFilterSet,
    PlanSetFilterSet,
    TransferFilterSet,
    TransferPickFilterSet,
)
from deployments.forms import (
    CampaignForm,
    ChecklistAssignForm,
    HandoverActForm,
    HandoverActSignForm,
    MoveDecisionForm,
    PlanGridForm,
    TransferAddForm,
    TransferForm,
    TransferReceiveForm,
    VerificationForm,
    asset_choice_label,
)
from deployments.models import (
    CampaignChecklist,
    HandoverAct,
    MoveProposal,
    Transfer,
    VerificationCampaign,
)
from deployments.selectors import (
    PlanGrid,
    category_totals,
    plan_grid,
    plan_handover_sets,
    plan_line_export_queryset,
    plan_office_queryset,
    plan_set_summaries,
)
from deployments.tables import (
    ACT_STATUS_BADGES,
    CampaignTable,
    HandoverActTable,
    MoveProposalTable,
    PlanLineExportTable,
    PlanSetTable,
    TransferPickTable,
    TransferTable,
)
from inventory import selectors as inventory_selectors
from inventory.access import scope_offices
from inventory.exports import (
    CSV,
    EXPORT_LABELS,
    EXPORT_PARAM,
    XLSX,
    ExportHeading,
    ExportLink,
    export_response,
    filters_describe,
)
from inventory.forms import add_service_errors
from inventory.models import Asset, HandoverSet, Office
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


class HandoverActListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "deployments.view_handoveract"
    table_class = HandoverActTable
    filterset_class = HandoverActFilterSet
    template_name = "deployments/handoveract_list.html"
    export_name = "handover-acts"

    def get_queryset(self):
        return selectors.handover_act_list_queryset(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("deployments.add_handoveract"):
            # Offer an act for any office in scope; transfers offer theirs on their own page.
            context["act_offices"] = scope_offices(
                self.request.user,
                Office.objects.only("pk", "code", "name_en", "name_ru", "name_tg"),
            ).order_by("code")
        return context


class ScopedHandoverActMixin:
    """Load the act named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.act = selectors.handover_act_get(user=request.user, pk=kwargs["pk"])
            except HandoverAct.DoesNotExist as exc:
                raise Http404(_("No such handover act in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


def _act_locked_refusal(act: HandoverAct) -> str | None:
    """Return the service's refusal to change a signed act, or None for a draft."""
    try:
        services.handover_act_check_editable(act=act)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _act_replaced_by(act: HandoverAct) -> HandoverAct | None:
    # The reverse one-to-one raises (an AttributeError) when no correction exists.
    return getattr(act, "replaced_by", None)


class HandoverActDetailView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedHandoverActMixin, TemplateView
):
    permission_required = "deployments.view_handoveract"
    template_name = "deployments/handoveract_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        act = self.act
        user = self.request.user
        items = selectors.handover_act_items(act=act)
        replaced_by = _act_replaced_by(act)
        is_draft = act.status == ActStatus.DRAFT
        context.update(
            act=act,
            status_badge=ACT_STATUS_BADGES.get(act.status, "badge"),
            replaced_by=replaced_by,
            items=items,
            totals=category_totals(items),
            total_value=sum((item.value for item in items), Decimal("0")),
            history=selectors.handover_act_history(act=act),
            can_edit=is_draft and user.has_perm("deployments.change_handoveract"),
            can_sign=is_draft and user.has_perm("deployments.sign_handoveract"),
            can_correct=(
                act.status == ActStatus.SIGNED
                and replaced_by is None
                and user.has_perm("deployments.add_handoveract")
            ),
            has_scan=bool(act.signed_scan),
        )
        return context


def _act_target_id(request, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise Http404(_("No such transfer or office in your scope.")) from exc


class HandoverActCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Draft an act for a received transfer (``?transfer=``) or for an office (``?office=``)."""

    permission_required = "deployments.add_handoveract"
    form_class = HandoverActForm
    template_name = "deployments/handoveract_form.html"

    transfer: Transfer | None = None
    office: Office

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self._load_target(request)
        return super().dispatch(request, *args, **kwargs)

    def _load_target(self, request) -> None:
        transfer_id = _act_target_id(request, "transfer")
        office_id = _act_target_id(request, "office")
        try:
            if transfer_id is not None:
                self.transfer = selectors.transfer_for_act(user=request.user, pk=transfer_id)
                self.office = self.transfer.destination
            elif office_id is not None:
                self.office = selectors.office_for_act(user=request.user, pk=office_id)
            else:
                raise Http404(_("Say which transfer or which office the act is for."))
        except (Transfer.DoesNotExist, Office.DoesNotExist) as exc:
            raise Http404(_("No such transfer or office in your scope.")) from exc

    def get_initial(self):
        user = self.request.user
        language = (translation.get_language() or "")[:2]
        receiver_name, receiver_position = selectors.office_head_for_act(office=self.office)
        return {
            "language": language if language in ActLanguage.values else ActLanguage.ENGLISH,
            "act_date": timezone.localdate(),
            "place": self.office.district.name,
            "giver_name": user.get_full_name() or user.get_username(),
            "giver_position": selectors.user_position(user=user),
            "receiver_name": receiver_name,
            "receiver_position": receiver_position,
        }

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.transfer is None:
            assets = selectors.office_act_assets(office=self.office)
            kwargs["asset_choices"] = [(a.pk, asset_choice_label(a)) for a in assets]
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["transfer"] = self.transfer
        context["office"] = self.office
        if self.transfer is not None:
            context["arrived"] = selectors.transfer_arrived_assets(transfer=self.transfer)
        return context

    def form_valid(self, form):
        user = self.request.user
        try:
            if self.transfer is not None:
                act = services.handover_act_for_transfer(
                    transfer=self.transfer, by=user, **form.act_details()
                )
            else:
                act = services.handover_act_for_office(
                    office=self.office,
                    by=user,
                    asset_ids=form.cleaned_data["assets"],
                    **form.act_details(),
                )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Handover act %(number)s drafted. Print it, have it signed, then upload the scan.")
            % {"number": act.number},
        )
        return HttpResponseRedirect(act.get_absolute_url())


class HandoverActDraftOnlyMixin:
    """Send a signed or superseded act back to its page with the service's refusal."""

    def dispatch(self, request, *args, **kwargs):
        act = getattr(self, "act", None)
        if act is not None:
            refusal = _act_locked_refusal(act)
            if refusal:
                messages.error(request, refusal)
                return HttpResponseRedirect(act.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)


class HandoverActUpdateView(
    LoginRequiredMixin,
    PermissionRequiredMixin,
    ScopedHandoverActMixin,
    HandoverActDraftOnlyMixin,
    FormView,
):
    permission_required = "deployments.change_handoveract"
    form_class = HandoverActForm
    template_name = "deployments/handoveract_form.html"

    def get_initial(self):
        return {name: getattr(self.act, name) for name in services.ACT_EDITABLE_FIELDS}

    def get_form_kwargs(self):
        self.items = selectors.handover_act_items(act=self.act)
        choices = [
            (item.asset_id, f"{item.tag} · {item.model_name} · {item.serial}")
            for item in self.items
        ]
        return {**super().get_form_kwargs(), "asset_choices": choices}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "act": self.act}

    def form_valid(self, form):
        kept = set(form.cleaned_data["assets"])
        remove = [item.asset_id for item in self.items if item.asset_id not in kept]
        try:
            services.handover_act_update(
                act=self.act, by=self.request.user, remove_asset_ids=remove, **form.act_details()
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Act %(number)s saved.") % {"number": self.act.number})
        return HttpResponseRedirect(self.act.get_absolute_url())


class HandoverActSignView(
    LoginRequiredMixin,
    PermissionRequiredMixin,
    ScopedHandoverActMixin,
    HandoverActDraftOnlyMixin,
    FormView,
):
    permission_required = "deployments.sign_handoveract"
    form_class = HandoverActSignForm
    template_name = "deployments/handoveract_sign.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "max_mb": settings.ACT_SCAN_MAX_MB}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "act": self.act}

    def form_valid(self, form):
        try:
            services.handover_act_sign(
                act=self.act, by=self.request.user, upload=form.cleaned_data["scan"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Act %(number)s is signed: its list of assets and its text are now locked.")
            % {"number": self.act.number},
        )
        return HttpResponseRedirect(self.act.get_absolute_url())


class HandoverActCorrectView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedHandoverActMixin, View
):
    """Start a correction of a signed act (POST only): a new draft that will replace it."""

    permission_required = "deployments.add_handoveract"
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            new = services.handover_act_correct(act=self.act, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(self.act.get_absolute_url())
        messages.success(
            request,
            _(
                "Correction %(new)s drafted. Once its signed scan is uploaded, it replaces act "
                "%(old)s."
            )
            % {"new": new.number, "old": self.act.number},
        )
        return HttpResponseRedirect(new.get_absolute_url())


class HandoverActScanView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedHandoverActMixin, View
):
    """Send the signed scan to someone who may see the act; scans are never public files."""

    permission_required = "deployments.view_handoveract"

    def get(self, request, pk):
        act = self.act
        if not act.signed_scan:
            raise Http404(
                _("No signed scan has been uploaded for act %(number)s.") % {"number": act.number}
            )
        try:
            handle = act.signed_scan.open("rb")
        except FileNotFoundError as exc:
            raise Http404(
                _("The signed scan of act %(number)s is missing from the server.")
                % {"number": act.number}
            ) from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=posixpath.basename(act.signed_scan.name),
            content_type=act.signed_scan_type or "application/octet-stream",
        )
        add_never_cache_headers(response)
        return response


def _act_print_html(request, act: HandoverAct, *, for_pdf: bool) -> tuple[str, ActDocument]:
    """Return the printable act as HTML, in the act's language, and what it says."""
    items = selectors.handover_act_items(act=act)
    path = act.get_absolute_url()
    url = act_absolute_url(
        path=path, site_url=settings.SITE_URL, request_url=request.build_absolute_uri(path)
    )
    # Buttons around the document speak the reader's language, the document the act's.
    chrome = {"print": _("Print"), "back": _("Back to the act"), "pdf": _("PDF")}
    with translation.override(act.language):
        document = act_document(act=act, items=items, url=url)
        html = render_to_string(
            "deployments/handoveract_print.html",
            {"doc": document, "for_pdf": for_pdf, "chrome": chrome, "act": act},
        )
    return html, document


class HandoverActPrintView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedHandoverActMixin, View
):
    permission_required = "deployments.view_handoveract"

    def get(self, request, pk):
        html, _document = _act_print_html(request, self.act, for_pdf=False)
        response = HttpResponse(html)
        add_never_cache_headers(response)
        return response


class HandoverActPdfView(LoginRequiredMixin, PermissionRequiredMixin, ScopedHandoverActMixin, View):
    permission_required = "deployments.view_handoveract"

    def get(self, request, pk):
        html, document = _act_print_html(request, self.act, for_pdf=True)
        try:
            pdf = html_to_pdf(html=html, title=document.title)
        except PdfUnavailable:
            messages.error(
                request,
                _("This server cannot make PDF files. Use Print and save as PDF instead."),
            )
            return HttpResponseRedirect(self.act.get_absolute_url())
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{self.act.number}.pdf"
        )
        add_never_cache_headers(response)
        return response


PLAN_VIEW_PERMISSION = "deployments.view_distributionplanline"
PLAN_CHANGE_PERMISSION = "deployments.change_distributionplanline"
PLAN_IMPORT_PERMISSION = "deployments.add_distributionplanline"


def _grid_rows(grid: PlanGrid, form: PlanGridForm | None) -> list[tuple]:
    """Return (row, [(figures, input or None) per category]) for the template."""
    rows = []
    for index, row in enumerate(grid.rows):
        fields = form.grid_cells[index] if form is not None else [None] * len(row.cells)
        rows.append((row, list(zip(row.cells, fields, strict=True))))
    return rows


class PlanListView(PermissionRequiredMixin, ListPageMixin):
    """The handover sets, each with its declared and planned/dispatched/received/signed totals."""

    permission_required = PLAN_VIEW_PERMISSION
    table_class = PlanSetTable
    filterset_class = PlanSetFilterSet
    template_name = "deployments/plan_list.html"
    export_name = "distribution-plan"
    export_title = gettext_lazy("Distribution plan")

    def get_queryset(self):
        return plan_handover_sets()

    def get_table_data(self):
        # The table shows figures per set, computed for all the sets the filter keeps.
        return plan_set_summaries(handover_sets=self.object_list)


class PlanDetailView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """One set: its summary per category, and the grid of planned quantities per office.

    ``?_export=xlsx|csv`` answers with the plan lines of the offices listed, in the columns
    of the plan_lines import, so an exported plan imports back unchanged.
    """

    permission_required = PLAN_VIEW_PERMISSION
    template_name = "deployments/plan_detail.html"
    export_formats = (XLSX, CSV)

    def _filter(self) -> None:
        """Load the set named in the URL (or 404) and the offices the page lists."""
        self.handover_set = get_object_or_404(HandoverSet, code=self.kwargs["code"])
        self.filterset = PlanOfficeFilterSet(
            self.request.GET or None,
            queryset=plan_office_queryset(user=self.request.user, handover_set=self.handover_set),
            request=self.request,
        )
        self.offices = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset

    def _load(self) -> None:
        self._filter()
        self.grid = plan_grid(handover_set=self.handover_set, offices=self.offices)

    def can_change(self) -> bool:
        return self.request.user.has_perm(PLAN_CHANGE_PERMISSION)

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get(EXPORT_PARAM)
        if export_format is not None:
            return self._export(export_format)
        self._load()
        form = PlanGridForm(grid=self.grid) if self.can_change() else None
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise PermissionDenied(_("You may read the plan but not change it."))
        self._load()
        form = PlanGridForm(request.POST, grid=self.grid)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        quantities = form.quantities()
        if not quantities:
            messages.info(request, _("Nothing to save: no planned quantity was changed."))
            return HttpResponseRedirect(request.get_full_path())
        try:
            counts = services.plan_save(
                handover_set=self.handover_set, quantities=quantities, by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request,
            _(
                "Plan of %(set)s saved. Lines created: %(created)s, changed: %(changed)s, "
                "removed: %(removed)s."
            )
            % {"set": self.handover_set.code, **counts},
        )
        return HttpResponseRedirect(request.get_full_path())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        context.update(
            {
                "handover_set": self.handover_set,
                "filter": self.filterset,
                "grid": self.grid,
                "grid_rows": _grid_rows(self.grid, form),
                "can_change": form is not None,
                "can_import": self.request.user.has_perm(PLAN_IMPORT_PERMISSION),
                "export_links": self._export_links(),
            }
        )
        return context

    def _export_links(self) -> list[ExportLink]:
        query = self.request.GET.copy()
        query.pop(EXPORT_PARAM, None)
        links = []
        for export_format in self.export_formats:
            query[EXPORT_PARAM] = export_format
            links.append(
                ExportLink(
                    export_format, str(EXPORT_LABELS[export_format]), f"?{query.urlencode()}"
                )
            )
        return links

    def _export(self, export_format: str):
        if export_format not in self.export_formats:
            return HttpResponseBadRequest(
                _("This list cannot be exported as “%(format)s”.") % {"format": export_format}
            )
        self._filter()
        table = PlanLineExportTable(
            plan_line_export_queryset(handover_set=self.handover_set, offices=self.offices)
        )
        user = self.request.user
        heading = ExportHeading(
            title=_("Distribution plan %(code)s") % {"code": self.handover_set.code},
            exported_at=timezone.now(),
            exported_by=user.get_full_name() or user.get_username(),
            filters=filters_describe(self.filterset),
        )
        return export_response(
            export_format=export_format,
            table=table,
            heading=heading,
            name=f"plan-{self.handover_set.code}",
        )


# Verification campaigns ---------------------------------------------------------------------

CAMPAIGN_VIEW = "deployments.view_verificationcampaign"
CAMPAIGN_RUN = "deployments.change_verificationcampaign"
VERIFY = "deployments.add_verification"
MOVE_DECIDE = "deployments.decide_moveproposal"


class CampaignListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = CAMPAIGN_VIEW
    table_class = CampaignTable
    filterset_class = CampaignFilterSet
    template_name = "deployments/campaign_list.html"
    export_name = "verification-campaigns"

    def get_queryset(self):
        return selectors.campaign_list_queryset(user=self.request.user)


class CampaignCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "deployments.add_verificationcampaign"
    form_class = CampaignForm
    template_name = "deployments/campaign_form.html"

    def get_initial(self):
        # “Redraw with this seed” on a campaign's page links here with ?seed=.
        seed = self.request.GET.get("seed", "")
        return {"method": CampaignMethod.SAMPLE, "seed": int(seed)} if seed.isdigit() else {}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                by=self.request.user,
                name=data["name"],
                method=data["method"],
                sample_size=data.get("sample_size"),
                seed=data.get("seed"),
                handover_sets=data.get("handover_sets") or (),
                regions=data.get("regions") or (),
                categories=data.get("categories") or (),
                notes=data.get("notes") or "",
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if campaign.method == CampaignMethod.SAMPLE and (
            campaign.sample_size >= campaign.population_size
        ):
            messages.warning(
                self.request,
                _(
                    "Campaign %(number)s drawn. The sample asked (%(asked)s) is at least the "
                    "assets in scope (%(population)s): every asset in scope is to be checked."
                )
                % {
                    "number": campaign.number,
                    "asked": campaign.sample_size,
                    "population": campaign.population_size,
                },
            )
        else:
            messages.success(
                self.request,
                _("Campaign %(number)s drawn. Now assign its checklists.")
                % {"number": campaign.number},
            )
        return HttpResponseRedirect(campaign.get_absolute_url())


class ScopedCampaignMixin:
    """Load the campaign named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.campaign = selectors.campaign_get(user=request.user, pk=kwargs["pk"])
            except VerificationCampaign.DoesNotExist as exc:
                raise Http404(_("No such campaign in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class CampaignDetailView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedCampaignMixin, TemplateView
):
    """Scope, seed, strata, progress per office (assignment for auditors) and results."""

    permission_required = CAMPAIGN_VIEW
    template_name = "deployments/campaign_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        user = self.request.user
        overview = selectors.campaign_overview(campaign=campaign, user=user)
        can_assign = campaign.is_open and user.has_perm(CAMPAIGN_RUN)
        rows = []
        candidates = (
            selectors.checklist_assignees(checklists=[row.checklist for row in overview.progress])
            if can_assign
            else {}
        )
        for row in overview.progress:
            form = None
            if can_assign:
                form = ChecklistAssignForm(
                    candidates=candidates[row.checklist.pk],
                    initial={"assignee": row.checklist.assignee_id},
                    auto_id=f"id_assign_{row.checklist.pk}_%s",
                )
            rows.append((row, form))
        context.update(
            campaign=campaign,
            handover_sets=list(campaign.handover_sets.all()),
            regions=list(campaign.regions.all()),
            categories=list(campaign.categories.all()),
            overview=overview,
            progress_rows=rows,
            results=overview.results,
            proposals=selectors.campaign_proposals(campaign=campaign),
            can_assign=can_assign,
            can_close=campaign.is_open and user.has_perm(CAMPAIGN_RUN),
            everyone=(
                campaign.method == CampaignMethod.SAMPLE
                and campaign.sample_size >= campaign.population_size
            ),
            redraw=(
                services.campaign_redraw_check(campaign=campaign)
                if self.request.GET.get("redraw")
                else None
            ),
        )
        return context


class CampaignCloseView(LoginRequiredMixin, PermissionRequiredMixin, ScopedCampaignMixin, View):
    permission_required = CAMPAIGN_RUN
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            services.campaign_close(campaign=self.campaign, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Campaign %(number)s closed: its figures are final.")
                % {"number": self.campaign.number},
            )
        return HttpResponseRedirect(self.campaign.get_absolute_url())


class ScopedChecklistMixin:
    """Load the checklist named in the URL, at an office in the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.checklist = selectors.checklist_get(user=request.user, pk=kwargs["pk"])
            except CampaignChecklist.DoesNotExist as exc:
                raise Http404(_("No such checklist in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class ChecklistDetailView(
    LoginRequiredMixin, PermissionRequiredMixin, ScopedChecklistMixin, TemplateView
):
    """An office's assets to check, phone first, the next one to check highlighted."""

    permission_required = CAMPAIGN_VIEW
    template_name = "deployments/checklist_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        checklist = self.checklist
        items = selectors.checklist_items(checklist=checklist)
        done = self.request.GET.get("done", "")
        done_id = int(done) if done.isdigit() else None
        context.update(
            checklist=checklist,
            campaign=checklist.campaign,
            items=items,
            next_item=_next_to_check(items, after=done_id),
            checked=sum(1 for item in items if item.latest is not None),
            can_verify=checklist.campaign.is_open and self.request.user.has_perm(VERIFY),
        )
        return context


def _next_to_check(items: list, *, after: int | None):
    """Return the first unchecked item after the asset just checked (or from the top)."""
    start = 0
    if after is not None:
        for index, item in enumerate(items):
            if item.asset.pk == after:
                start = index + 1
                break
    for item in items[start:] + items[:start]:
        if item.latest is None:
            return item
    return None


class ChecklistAssignView(LoginRequiredMixin, PermissionRequiredMixin, ScopedChecklistMixin, View):
    permission_required = CAMPAIGN_RUN
    http_method_names = ["post"]

    def post(self, request, pk):
        checklist = self.checklist
        candidates = selectors.checklist_assignees(checklists=[checklist])[checklist.pk]
        form = ChecklistAssignForm(request.POST, candidates=candidates)
        url = f"{checklist.campaign.get_absolute_url()}#checklist-{checklist.pk}"
        if not form.is_valid():
            for error in form.errors.get("assignee", []):
                messages.error(
                    request,
                    _("%(office)s: %(error)s") % {"office": checklist.office.code, "error": error},
                )
            return HttpResponseRedirect(url)
        assignee = form.cleaned_data["assignee"]
        try:
            services.checklist_assign(checklist=checklist, assignee=assignee, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return HttpResponseRedirect(url)
        if assignee is None:
            messages.success(
                request,
                _("The checklist of %(office)s is unassigned.") % {"office": checklist.office.code},
            )
        else:
            messages.success(
                request,
                _("The checklist of %(office)s is assigned to %(who)s.")
                % {"office": checklist.office.code, "who": services.user_display(assignee)},
            )
        return HttpResponseRedirect(url)


def verification_words(verification) -> str:
    """Return what a verification found, in a short sentence for the message after saving."""
    words = {
        "found": _("%(tag)s: found."),
        "not_found": _("%(tag)s: not found."),
        "found_elsewhere": _("%(tag)s: found at %(office)s."),
    }[verification.outcome] % {
        "tag": verification.asset.tag,
        "office": verification.found_office.code if verification.found_office_id else "",
    }
    if verification.serial_matches is False:
        words += " " + _("The serial read (%(read)s) differs from the register's (%(serial)s).") % {
            "read": verification.serial_read,
            "serial": verification.register_serial,
        }
    elif verification.serial_matches:
        words += " " + _("The serial matches.")
    return words


class VerificationFormMixin:
    """The phone page of one check; subclasses say which asset, campaign and where to go next.

    (Each view names its ``permission_required``: PermissionRequiredMixin's own None would
    hide one set here.)
    """

    form_class = VerificationForm
    template_name = "deployments/verification_form.html"
    campaign: VerificationCampaign | None = None
    asset: Asset

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "asset": self.asset}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "asset": self.asset,
            "campaign": self.campaign,
            "back_url": self.back_url(),
            "photo_max_mb": getattr(
                settings,
                "VERIFICATION_PHOTO_MAX_MB",
                services.VERIFICATION_PHOTO_MAX_MB_DEFAULT,
            ),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            verification = services.verification_record(
                by=self.request.user,
                asset=self.asset,
                campaign=self.campaign,
                outcome=data["outcome"],
                found_office=data.get("found_office"),
                serial_read=data.get("serial_read") or "",
                condition=data.get("condition") or "",
                zone=data.get("zone") or "",
                photo=data.get("photo") or None,
                note=data.get("note") or "",
                propose_move=bool(data.get("propose_move")),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        text = verification_words(verification)
        if selectors.verification_proposed_move(verification=verification):
            text += " " + _("A move in the register was proposed to the logistics officers.")
        if verification.outcome == "found" and verification.serial_matches is not False:
            messages.success(self.request, text)
        else:
            messages.warning(self.request, text)
        return HttpResponseRedirect(self.success_url_for(verification))


class ChecklistVerifyView(
    LoginRequiredMixin,
    PermissionRequiredMixin,
    ScopedChecklistMixin,
    VerificationFormMixin,
    FormView,
):
    """Verify one asset of a checklist."""

    permission_required = VERIFY

    def get(self, request, *args, **kwargs):
        redirect_to = self._load()
        return redirect_to or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        redirect_to = self._load()
        return redirect_to or super().post(request, *args, **kwargs)

    def _load(self):
        try:
            self.asset = selectors.checklist_asset(
                checklist=self.checklist, asset_pk=self.kwargs["asset_pk"]
            )
        except Asset.DoesNotExist as exc:
            raise Http404(_("This asset is not on the checklist.")) from exc
        self.campaign = self.checklist.campaign
        if not self.campaign.is_open:
            messages.error(
                self.request,
                _("Campaign %(number)s is closed: it takes no more verifications.")
                % {"number": self.campaign.number},
            )
            return HttpResponseRedirect(self.back_url())
        return None

    def back_url(self) -> str:
        return self.checklist.get_absolute_url()

    def success_url_for(self, verification) -> str:
        return f"{self.back_url()}?done={self.asset.pk}#asset-{self.asset.pk}"


class AssetVerifyView(LoginRequiredMixin, PermissionRequiredMixin, VerificationFormMixin, FormView):
    """Verify an asset from its page: within the open campaign that drew it, if any."""

    permission_required = VERIFY

    def get(self, request, *args, **kwargs):
        self._load()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._load()
        return super().post(request, *args, **kwargs)

    def _load(self) -> None:
        try:
            self.asset = inventory_selectors.asset_get(user=self.request.user, pk=self.kwargs["pk"])
        except Asset.DoesNotExist as exc:
            raise Http404(_("No such asset in your scope.")) from exc
        self.campaign = selectors.campaign_open_for_asset(asset=self.asset)

    def back_url(self) -> str:
        return self.asset.get_absolute_url()

    def success_url_for(self, verification) -> str:
        return self.back_url()


class VerificationPhotoView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Send a verification's photo to someone who may see the asset; never a public file."""

    permission_required = "deployments.view_verification"

    def get(self, request, pk):
        verification = selectors.verification_photo_get(user=request.user, pk=pk)
        if not verification.photo:
            raise Http404(_("This verification has no photo."))
        try:
            handle = verification.photo.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The photo is missing from the server.")) from exc
        response = FileResponse(handle, filename=posixpath.basename(verification.photo.name))
        add_never_cache_headers(response)
        return response


class MoveProposalListView(PermissionRequiredMixin, ListPageMixin):
    permission_required = "deployments.view_moveproposal"
    table_class = MoveProposalTable
    filterset_class = MoveProposalFilterSet
    template_name = "deployments/moveproposal_list.html"
    export_name = "proposed-moves"

    def get_queryset(self):
        return selectors.moveproposal_queryset(user=self.request.user)

    def get_table_kwargs(self):
        return {**super().get_table_kwargs(), "can_decide": self.request.user.has_perm(MOVE_DECIDE)}


class MoveProposalDecideView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Confirm a proposed move (the register changes) or reject it with a reason."""

    permission_required = MOVE_DECIDE
    template_name = "deployments/moveproposal_decide.html"

    def dispatch(self, request, *args, **kwargs):
        # Permission first (403), then scope (404).
        if request.user.is_authenticated and self.has_permission():
            try:
                self.proposal = selectors.moveproposal_get(user=request.user, pk=kwargs["pk"])
            except MoveProposal.DoesNotExist as exc:
                raise Http404(_("No such proposed move in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("confirm_form", MoveDecisionForm(initial={"action": "confirm"}))
        context.setdefault(
            "reject_form", MoveDecisionForm(initial={"action": "reject"}, auto_id="id_reject_%s")
        )
        context["proposal"] = self.proposal
        context["verification"] = self.proposal.verification
        return context

    def post(self, request, pk):
        form = MoveDecisionForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(_("Say whether to confirm or reject the move."))
        action = form.cleaned_data["action"]
        note = form.cleaned_data.get("note") or ""
        try:
            if action == "confirm":
                services.move_proposal_confirm(proposal=self.proposal, by=request.user, note=note)
            else:
                services.move_proposal_reject(proposal=self.proposal, by=request.user, note=note)
        except ValidationError as error:
            add_service_errors(form, error)
            key = "confirm_form" if action == "confirm" else "reject_form"
            if action == "reject":
                form.auto_id = "id_reject_%s"
            return self.render_to_response(self.get_context_data(**{key: form}), status=400)
        asset = self.proposal.asset
        if action == "confirm":
            messages.success(
                request,
                _("%(tag)s moved in the register to %(office)s.")
                % {"tag": asset.tag, "office": self.proposal.to_office.code},
            )
        else:
            messages.success(
                request, _("The proposed move of %(tag)s was rejected.") % {"tag": asset.tag}
            )
        return HttpResponseRedirect(reverse("moveproposal_list"))

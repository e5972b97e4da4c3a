"""Register pages: parse the request, call one selector or service, respond."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from config.pdf import PdfUnavailable, html_to_pdf
from inventory import labels, selectors, services
from inventory.exports import EXPORT_PARAM, ListExportMixin
from inventory.filtersets import AssetFilterSet, OfficeFilterSet
from inventory.forms import (
    AssetForm,
    AssetLabelsForm,
    AssetStatusForm,
    ImportUploadForm,
    OfficeForm,
    add_service_errors,
)
from inventory.importing import IMPORT_KINDS, import_run, import_template
from inventory.models import Asset, Office
from inventory.panels import asset_panels, office_panels
from inventory.tables import AssetTable, OfficeTable


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "inventory/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = selectors.dashboard_figures(user=self.request.user)
        return context


class ListPageMixin(LoginRequiredMixin, ListExportMixin, SingleTableMixin, FilterView):
    """A filtered, sorted, paginated list whose rows follow the user's scope.

    ``?_export=xlsx`` or ``?_export=csv`` answers with the same rows (all pages) and columns.
    """

    def get_table_pagination(self, table):
        from django.conf import settings

        return {"per_page": settings.PAGE_SIZE}


class AssetListView(ListPageMixin):
    table_class = AssetTable
    filterset_class = AssetFilterSet
    template_name = "inventory/asset_list.html"

    def get_queryset(self):
        return selectors.asset_queryset(user=self.request.user)

    def get(self, request, *args, **kwargs):
        # A scanned or typed exact tag or serial, with nothing else asked, opens the asset.
        text = request.GET.get("q", "").strip()
        if text and set(request.GET) == {"q"}:
            asset = selectors.asset_find_exact(user=request.user, text=text)
            if asset is not None:
                return redirect("asset_detail", pk=asset.pk)
        return super().get(request, *args, **kwargs)


class AssetDetailView(LoginRequiredMixin, TemplateView):
    template_name = "inventory/asset_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            asset = selectors.asset_get(user=self.request.user, pk=kwargs["pk"])
        except Asset.DoesNotExist as exc:
            raise Http404(_("No such asset in your scope.")) from exc
        context["asset"] = asset
        context["history"] = selectors.asset_history(asset=asset)
        context["next_statuses"] = services.allowed_next_statuses(asset.status)
        context["panels"] = asset_panels(request=self.request, asset=asset)
        return context


class ScopedAssetMixin:
    """Load the asset named in the URL, within the user's scope, or answer 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.asset = selectors.asset_get(user=request.user, pk=kwargs["pk"])
            except Asset.DoesNotExist as exc:
                raise Http404(_("No such asset in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class AssetCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "inventory.add_asset"
    form_class = AssetForm
    template_name = "inventory/asset_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            asset = services.asset_register(
                by=self.request.user,
                asset_model=data["asset_model"],
                serial=data["serial"],
                tag=data.get("tag") or "",
                handover_set=data.get("handover_set"),
                value=data.get("value"),
                warranty_end=data.get("warranty_end"),
                status=data["status"],
                office=data.get("office"),
                zone=data.get("zone") or "",
                custodian=data.get("custodian") or "",
                network_address=data.get("network_address") or "",
                notes=data.get("notes") or "",
                services=data.get("services") or (),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Asset %(tag)s registered.") % {"tag": asset.tag})
        return HttpResponseRedirect(asset.get_absolute_url())


class AssetUpdateView(LoginRequiredMixin, PermissionRequiredMixin, ScopedAssetMixin, FormView):
    permission_required = "inventory.change_asset"
    form_class = AssetForm
    template_name = "inventory/asset_form.html"

    def get_form_kwargs(self):
        # The form works on its own copy, so the service can tell what changed.
        copy = Asset.objects.get(pk=self.asset.pk)
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": copy}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "asset": self.asset}

    def form_valid(self, form):
        data = form.cleaned_data
        changes = {name: data.get(name) for name in services.EDITABLE_FIELDS if name in data}
        for name in ("tag", "zone", "custodian", "network_address", "notes"):
            changes[name] = changes.get(name) or ""
        if not changes["tag"]:
            changes.pop("tag")
        try:
            services.asset_update(
                asset=self.asset,
                by=self.request.user,
                reason=data.get("reason") or "",
                services=data.get("services"),
                **changes,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Asset %(tag)s saved.") % {"tag": self.asset.tag})
        return HttpResponseRedirect(self.asset.get_absolute_url())


class AssetStatusView(LoginRequiredMixin, PermissionRequiredMixin, ScopedAssetMixin, FormView):
    permission_required = "inventory.change_asset"
    form_class = AssetStatusForm
    template_name = "inventory/asset_status_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "asset": self.asset, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "asset": self.asset}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.asset_change_status(
                asset=self.asset,
                by=self.request.user,
                to_status=data["to_status"],
                reason=data["reason"],
                office=data.get("office"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Asset %(tag)s is now “%(status)s”.")
            % {"tag": self.asset.tag, "status": services.status_label(data["to_status"])},
        )
        return HttpResponseRedirect(self.asset.get_absolute_url())


class OfficeListView(ListPageMixin):
    table_class = OfficeTable
    filterset_class = OfficeFilterSet
    template_name = "inventory/office_list.html"

    def get_queryset(self):
        return selectors.office_queryset(user=self.request.user)


class ScopedOfficeMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.office = selectors.office_get(user=request.user, pk=kwargs["pk"])
            except Office.DoesNotExist as exc:
                raise Http404(_("No such office in your scope.")) from exc
        return super().dispatch(request, *args, **kwargs)


class OfficeDetailView(LoginRequiredMixin, ScopedOfficeMixin, TemplateView):
    template_name = "inventory/office_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["office"] = self.office
        context["devices"] = selectors.office_devices(office=self.office)
        context["panels"] = office_panels(request=self.request, office=self.office)
        return context


def _office_fields(data: dict) -> dict:
    fields = {
        name: data.get(name)
        for name in services.OFFICE_EDITABLE_FIELDS
        if name in data and name != "is_active"
    }
    for name in ("name_ru", "name_tg", "address", "phone", "connectivity_notes"):
        fields[name] = fields.get(name) or ""
    return fields


class OfficeCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "inventory.add_office"
    form_class = OfficeForm
    template_name = "inventory/office_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            office = services.office_create(
                by=self.request.user, services=data.get("services") or (), **_office_fields(data)
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Office %(code)s created.") % {"code": office.code})
        return HttpResponseRedirect(office.get_absolute_url())


class OfficeUpdateView(LoginRequiredMixin, PermissionRequiredMixin, ScopedOfficeMixin, FormView):
    permission_required = "inventory.change_office"
    form_class = OfficeForm
    template_name = "inventory/office_form.html"

    def get_form_kwargs(self):
        copy = Office.objects.get(pk=self.office.pk)
        return {**super().get_form_kwargs(), "instance": copy}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "office": self.office}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.office_update(
                office=self.office,
                by=self.request.user,
                reason=data.get("reason") or "",
                services=data.get("services"),
                is_active=data.get("is_active", True),
                **_office_fields(data),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Office %(code)s saved.") % {"code": self.office.code})
        return HttpResponseRedirect(self.office.get_absolute_url())


# Spreadsheet imports: upload → preview (nothing written) → confirm (all rows or none).


def _import_kind(request, key: str):
    kind = IMPORT_KINDS.get(key)
    if kind is None:
        raise Http404(_("No such kind of import."))
    if not request.user.has_perm(kind.permission):
        raise PermissionDenied
    return kind


class ImportIndexView(LoginRequiredMixin, TemplateView):
    template_name = "inventory/import_index.html"

    def get_context_data(self, **kwargs):
        kinds = [k for k in IMPORT_KINDS.values() if self.request.user.has_perm(k.permission)]
        if not kinds:
            raise PermissionDenied
        return {**super().get_context_data(**kwargs), "kinds": kinds}


class ImportTemplateView(LoginRequiredMixin, View):
    def get(self, request, kind):
        import_kind = _import_kind(request, kind)
        response = HttpResponse(
            import_template(kind=import_kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="template-{kind}.xlsx"'
        return response


class ImportView(LoginRequiredMixin, View):
    """Upload a file and see the preview; confirm writes it."""

    template_name = "inventory/import.html"

    def get(self, request, kind):
        import_kind = _import_kind(request, kind)
        return render(
            request, self.template_name, {"kind": import_kind, "form": ImportUploadForm()}
        )

    def post(self, request, kind):
        import_kind = _import_kind(request, kind)
        if "token" in request.POST:
            return self._confirm(request, import_kind)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"kind": import_kind, "form": form})
        upload = form.cleaned_data["file"]
        token = services.import_upload_keep(upload=upload, user=request.user)
        with services.import_upload_open(token=token, user=request.user) as handle:
            report = import_run(
                kind=import_kind, file=handle, filename=upload.name, user=request.user, dry_run=True
            )
        context = {"kind": import_kind, "report": report, "form": ImportUploadForm()}
        if report.ok:
            request.session.setdefault("imports", {})[token] = {
                "kind": import_kind.key,
                "filename": upload.name,
            }
            request.session.modified = True
            context["token"] = token
        else:
            services.import_upload_discard(token=token, user=request.user)
        return render(request, self.template_name, context)

    def _confirm(self, request, import_kind):
        token = request.POST["token"]
        pending = request.session.get("imports", {}).get(token)
        if not pending or pending["kind"] != import_kind.key:
            messages.error(request, _("That preview has expired. Upload the file again."))
            return redirect("import", kind=import_kind.key)
        try:
            with services.import_upload_open(token=token, user=request.user) as handle:
                report = import_run(
                    kind=import_kind,
                    file=handle,
                    filename=pending["filename"],
                    user=request.user,
                    dry_run=False,
                )
        except FileNotFoundError:
            messages.error(request, _("That preview has expired. Upload the file again."))
            return redirect("import", kind=import_kind.key)
        if not report.ok:
            # The register changed since the preview: nothing was written.
            return render(
                request,
                self.template_name,
                {"kind": import_kind, "report": report, "form": ImportUploadForm()},
            )
        services.import_upload_discard(token=token, user=request.user)
        request.session["imports"].pop(token, None)
        request.session.modified = True
        totals = report.totals
        messages.success(
            request,
            _("Imported %(file)s: %(new)s new, %(update)s updated, %(unchanged)s unchanged.")
            % {"file": pending["filename"], **totals},
        )
        return redirect(import_kind.list_url_name)


# QR label sheets: the ticked assets, or the asset list's filtered rows, on A4 label stock.


class AssetLabelsView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A printable A4 sheet of QR labels, as a page (preview, print) or as a PDF.

    ``?ids=1&ids=2`` (or ``ids=1,2``, or the same in a POST) names the assets; ``?from_list=1``
    with the asset list's filter and sort parameters takes the list's rows, in its order.
    ``layout``, ``start`` and ``copies`` are the sheet's options; ``_export=pdf`` asks for the
    PDF. Only assets in the user's scope: a named asset outside it answers 404.
    """

    permission_required = "inventory.view_asset"
    template_name = "inventory/asset_labels.html"
    pdf_template_name = "inventory/asset_labels_pdf.html"
    # Parameters that are the page's own; all others (the list's filters) are passed along.
    OWN_PARAMS = ("ids", "layout", "start", "copies", EXPORT_PARAM, "csrfmiddlewaretoken")

    def get(self, request):
        return self.respond(request.GET)

    def post(self, request):
        return self.respond(request.POST)

    def respond(self, params: QueryDict) -> HttpResponse:
        request = self.request
        try:
            ids = labels.ids_parse(params.getlist("ids"))
        except ValueError as exc:
            raise Http404(_("No such asset in your scope.")) from exc
        from_list = params.get("from_list") == "1" and not ids
        back_url = _labels_back_url(request, params, from_list=from_list)
        if not ids and not from_list:
            messages.warning(
                request,
                _(
                    "No assets were selected. Tick the assets to label, or choose "
                    "“Labels for all filtered assets”."
                ),
            )
            return redirect(back_url)
        carry = [(k, v) for k in params if k not in self.OWN_PARAMS for v in params.getlist(k)]
        if ids:
            carry.append(("ids", ",".join(map(str, ids))))
        data = params.copy()
        for name, value in AssetLabelsForm.DEFAULTS.items():
            if not data.get(name):
                data[name] = value
        form = AssetLabelsForm(data)
        context = {"form": form, "carry": carry, "back_url": back_url}
        if not form.is_valid():
            return render(request, self.template_name, context)
        layout, start, copies = (form.cleaned_data[k] for k in ("layout", "start", "copies"))
        selection, problem = self.select(params, ids=ids, limit=labels.MAX_LABELS // copies)
        if selection is not None and selection.over_limit:
            asked = selection.total * copies
            problem = ngettext(
                "You asked for %(count)s label; at most %(max)s (%(sheets)s sheets) are printed "
                "at once. Narrow the list's filters or tick fewer assets, or print fewer copies.",
                "You asked for %(count)s labels; at most %(max)s (%(sheets)s sheets) are printed "
                "at once. Narrow the list's filters or tick fewer assets, or print fewer copies.",
                asked,
            ) % {
                "count": asked,
                "max": labels.MAX_LABELS,
                "sheets": labels.sheet_count(labels=labels.MAX_LABELS, layout=layout),
            }
        elif selection is not None and not selection.assets:
            problem = _("No assets match the list's filters: there is nothing to print.")
        if problem:
            return render(request, self.template_name, {**context, "problem": problem})

        base_url = settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")
        items = [
            _asset_label(asset, base_url=base_url, layout=layout) for asset in selection.assets
        ]
        sheets = labels.label_sheets(items=items, layout=layout, start=start, copies=copies)
        pdf_query = QueryDict(mutable=True)
        for key, value in carry:
            pdf_query.appendlist(key, value)
        pdf_query.update({"layout": layout.key, "start": start, "copies": copies})
        pdf_query[EXPORT_PARAM] = "pdf"
        context.update(
            layout=layout,
            sheets=sheets,
            asset_count=len(items),
            label_count=len(items) * copies,
            pdf_url=f"?{pdf_query.urlencode()}",
        )
        if params.get(EXPORT_PARAM) != "pdf":
            return render(request, self.template_name, context)
        html = render_to_string(self.pdf_template_name, context, request=request)
        try:
            pdf = html_to_pdf(html=html, title=_("Asset labels"))
        except PdfUnavailable:
            context["problem"] = _(
                "The PDF cannot be made on this server at the moment. "
                "Print this page from the browser instead: it gives the same sheet."
            )
            return render(request, self.template_name, context, status=503)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename="asset-labels.pdf"
        )
        return response

    def select(
        self, params: QueryDict, *, ids: list[int], limit: int
    ) -> tuple[selectors.LabelSelection | None, str]:
        """Return the assets to label (the ids, else the list's rows), or why there are none."""
        user = self.request.user
        if ids:
            try:
                return selectors.asset_labels(user=user, ids=ids, limit=limit), ""
            except Asset.DoesNotExist as exc:
                raise Http404(_("No such asset in your scope.")) from exc
        filterset = AssetFilterSet(
            params, queryset=selectors.asset_queryset(user=user), request=self.request
        )
        if not filterset.is_valid():
            errors = "; ".join(str(e) for field in filterset.errors.values() for e in field)
            return None, _("The list's filters are not valid: %(errors)s") % {"errors": errors}
        # The list's own sort (its ?sort=), as its table applies it.
        table = AssetTable(filterset.qs, order_by=params.get("sort") or None)
        return selectors.asset_labels(user=user, queryset=table.data.data, limit=limit), ""


def _asset_label(asset: Asset, *, base_url: str, layout: labels.LabelLayout) -> labels.AssetLabel:
    """Return the label of ``asset`` (model, maker and donors loaded), pointing at its page."""
    handover_set = asset.handover_set
    sources = list(handover_set.funding_sources.all()) if handover_set else []
    implementer = handover_set.implementer if handover_set else ""
    return labels.asset_label(
        url=base_url + asset.get_absolute_url(),
        tag=asset.tag,
        serial=asset.serial,
        model=f"{asset.asset_model.manufacturer.name} {asset.asset_model.name}",
        donors=labels.donors_line(donors=[s.name for s in sources], implementer=implementer),
        donors_short=labels.donors_line(donors=[s.code for s in sources], implementer=implementer),
        layout=layout,
    )


def _labels_back_url(request, params: QueryDict, *, from_list: bool) -> str:
    """Return where "Back" goes: the list the labels came from, as it was."""
    back = params.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    if from_list:
        query = params.copy()
        for key in (*AssetLabelsView.OWN_PARAMS, "from_list", "next"):
            query.pop(key, None)
        if query:
            return f"{reverse('asset_list')}?{query.urlencode()}"
    return reverse("asset_list")

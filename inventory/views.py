"""Register pages: parse the request, call one selector or service, respond."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from inventory import selectors, services
from inventory.exports import ListExportMixin
from inventory.filtersets import AssetFilterSet, OfficeFilterSet
from inventory.forms import (
    AssetForm,
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

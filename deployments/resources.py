"""Spreadsheet import of distribution-plan lines: set × office × category → planned quantity."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from deployments.models import DistributionPlanLine
from inventory.importing import ImportKind, column, import_kind_register
from inventory.resources import (
    LookupWidget,
    RegisterResource,
    TextWidget,
    category_column,
    category_index,
    category_names,
    handover_set_codes,
    handover_set_column,
    handover_set_index,
    lookup_key,
    office_codes,
    office_column,
    office_index,
)
from inventory.spreadsheets import parse_decimal


class QuantityWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        number = parse_decimal(value)
        if number is None:
            return None
        if number != number.to_integral_value() or number < 0:
            raise ValueError(_("“%(value)s” is not a whole number of devices.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class DistributionPlanLineResource(RegisterResource):
    kind_key = "plan_lines"

    handover_set = fields.Field(
        attribute="handover_set",
        column_name="handover_set",
        widget=LookupWidget(load=handover_set_index, what=gettext_lazy("handover set")),
    )
    office = fields.Field(
        attribute="office",
        column_name="office",
        widget=LookupWidget(load=office_index, what=gettext_lazy("office")),
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=LookupWidget(load=category_index, what=gettext_lazy("category")),
    )
    planned_quantity = fields.Field(
        attribute="planned_quantity", column_name="planned_quantity", widget=QuantityWidget()
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget())

    class Meta:
        model = DistributionPlanLine
        fields = ("handover_set", "office", "category", "planned_quantity", "notes")
        import_id_fields = ("handover_set", "office", "category")
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        store_row_values = True
        clean_model_instances = False

    def row_identity(self, row: dict) -> str:
        return " / ".join(
            lookup_key(row.get(name)) for name in ("handover_set", "office", "category")
        )

    def row_key(self, row: dict) -> str:
        return " / ".join(
            str(row.get(name) or "") for name in ("handover_set", "office", "category")
        )

    def before_import(self, dataset, **kwargs):
        self._lines = {
            (line.handover_set_id, line.office_id, line.category_id): line
            for line in DistributionPlanLine.objects.all()
        }

    def get_instance(self, instance_loader, row):
        keys, errors = [], {}
        for name in ("handover_set", "office", "category"):
            try:
                found = self.fields[name].clean(row)
            except ValueError as error:
                errors[name] = [str(error)]
                continue
            if found is None:
                errors[name] = [_("This column is required.")]
            keys.append(found)
        if errors:
            raise ValidationError(errors)
        return self._lines.get(tuple(obj.pk for obj in keys))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.planned_quantity is None and "planned_quantity" not in errors:
            errors["planned_quantity"] = [_("The planned quantity is required.")]
        if errors:
            raise ValidationError(errors)


PLAN_LINE_COLUMNS = (
    handover_set_column(required=True),
    office_column(required=True),
    category_column(required=True),
    column(
        "planned_quantity",
        gettext_lazy("Planned quantity"),
        "Quantity",
        "Qty",
        "Количество",
        "Кол-во",
        "Миқдор",
        required=True,
    ),
    column("notes", gettext_lazy("Notes"), "Примечание", "Эзоҳ"),
)


def register_import_kinds() -> None:
    """Register the plan import (called from DeploymentsConfig.ready)."""
    import_kind_register(
        ImportKind(
            key="plan_lines",
            label=gettext_lazy("Distribution plan lines"),
            columns=PLAN_LINE_COLUMNS,
            resource_factory=DistributionPlanLineResource,
            permission="deployments.add_distributionplanline",
            list_url_name="plan_list",
            example_row={
                "handover_set": "HS-2024-01",
                "office": "CR-SU-KHU",
                "category": "Printer",
                "planned_quantity": 3,
                "notes": "",
            },
            choices={
                "handover_set": handover_set_codes,
                "office": office_codes,
                "category": category_names,
            },
        )
    )

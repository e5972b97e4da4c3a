"""Spreadsheet columns of the register, and how their rows are cleaned, matched and saved.

Resources are django-import-export ``ModelResource`` classes. Every lookup (models, offices,
handover sets, existing assets) is loaded once per import, so an import runs a fixed number
of queries whatever its length; new and changed assets are written in bulk through
``inventory.services`` with one history entry each, naming the import, the file and the user.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from inventory import services
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.importing import ROW_NUMBER, Change, ImportKind, column, import_kind_register
from inventory.models import (
    Asset,
    AssetModel,
    Category,
    District,
    HandoverSet,
    Manufacturer,
    Office,
)
from inventory.spreadsheets import parse_date, parse_decimal, parse_text

_SPACES = re.compile(r"\s+")


def lookup_key(value: object) -> str:
    """Return text folded for matching names and codes: case, spacing and look-alikes."""
    text = unicodedata.normalize("NFKC", parse_text(value))
    return _SPACES.sub(" ", text).strip().casefold()


def _display(value: object) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return str(value)


# Widgets: parse a cell, or raise ValueError with a message in the user's language.


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class SerialWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return services.serial_normalise(parse_text(value))


class TagWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return services.tag_normalise(parse_text(value))


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d.%m.%Y") if value else ""


class DecimalWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        number = parse_decimal(value)
        return None if number is None else number.quantize(Decimal("0.01"))

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value:.2f}"


class CoordinateWidget(widgets.Widget):
    """A latitude or longitude in decimal degrees, with a comma or a point."""

    def clean(self, value, row=None, **kwargs):
        number = parse_decimal(value, thousands=False)
        return None if number is None else number.quantize(Decimal("0.00001"))

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(widgets.Widget):
    """Accept a choice by its code or by its label in any interface language."""

    def __init__(self, choices_class, *, what: str, blank: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.choices_class = choices_class
        self.what = what
        self.blank = blank
        self._index: dict[str, str] | None = None

    def _lookup(self) -> dict[str, str]:
        if self._index is None:
            from inventory.importing import column_labels

            index = {}
            for value, label in self.choices_class.choices:
                index[lookup_key(value)] = value
                for spelling in column_labels(label):
                    index[lookup_key(spelling)] = value
            self._index = index
        return self._index

    def clean(self, value, row=None, **kwargs):
        key = lookup_key(value)
        if not key:
            return ""
        if key not in self._lookup():
            raise ValueError(
                _("“%(value)s” is not a known %(what)s.")
                % {"value": parse_text(value), "what": self.what}
            )
        return self._lookup()[key]

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        return str(self.choices_class(value).label)


class LookupWidget(widgets.Widget):
    """Find a row by any of its names or codes, from an index loaded once per import."""

    def __init__(self, *, load, what: str, **kwargs):
        super().__init__(**kwargs)
        self.load = load  # () -> dict[str, object | None]; None marks an ambiguous key
        self.what = what
        self._index: dict | None = None

    def clean(self, value, row=None, **kwargs):
        key = lookup_key(value)
        if not key:
            return None
        if self._index is None:
            self._index = self.load()
        if key not in self._index:
            raise ValueError(
                _("No %(what)s “%(value)s” in the register.")
                % {"what": self.what, "value": parse_text(value)}
            )
        found = self._index[key]
        if found is None:
            raise ValueError(
                _("“%(value)s” names more than one %(what)s: use the code or the full name.")
                % {"value": parse_text(value), "what": self.what}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


def _chunks(values: list, size: int = 2000):
    """Yield slices of ``values`` small enough for one IN (…) query on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _index(pairs) -> dict[str, object | None]:
    """Return a lookup index; a key that two different rows claim maps to None."""
    index: dict[str, object | None] = {}
    for key, obj in pairs:
        key = lookup_key(key)
        if not key:
            continue
        if key in index and index[key] is not None and index[key].pk != obj.pk:
            index[key] = None
        elif key not in index:
            index[key] = obj
    return index


def asset_model_index() -> dict[str, object | None]:
    models = list(AssetModel.objects.select_related("manufacturer", "category"))
    pairs = []
    for m in models:
        pairs += [(f"{m.manufacturer.name} {m.name}", m), (m.name, m)]
        if m.part_number:
            pairs.append((m.part_number, m))
    return _index(pairs)


def office_index() -> dict[str, object | None]:
    pairs = []
    for office in Office.objects.all():
        pairs += [(office.code, office), (office.name_en, office), (office.name_ru, office)]
        pairs.append((office.name_tg, office))
    return _index(pairs)


def handover_set_index() -> dict[str, object | None]:
    pairs = []
    for hs in HandoverSet.objects.all():
        pairs += [(hs.code, hs), (hs.name_en, hs), (hs.name_ru, hs), (hs.name_tg, hs)]
    return _index(pairs)


def category_index() -> dict[str, object | None]:
    pairs = []
    for category in Category.objects.all():
        pairs += [(category.code, category), (category.tag_prefix, category)]
        pairs += [(category.name_en, category), (category.name_ru, category)]
        pairs.append((category.name_tg, category))
    return _index(pairs)


def district_index() -> dict[str, object | None]:
    pairs = []
    for district in District.objects.all():
        pairs += [(district.code, district), (district.name_en, district)]
        pairs += [(district.name_ru, district), (district.name_tg, district)]
    return _index(pairs)


class RegisterResource(resources.ModelResource):
    """What every register import shares: who imports, from which file, and row reporting."""

    key_field = "code"

    def __init__(self, *, user=None, filename: str = "", **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.filename = filename
        self.reason = _("Imported from %(file)s") % {"file": filename} if filename else ""
        self.row_changes: dict[int, list[Change]] = {}
        self._seen: dict[str, int] = {}
        self._snapshots: dict[int, dict[str, tuple[object, object]]] = {}
        self._attnames: dict[str, str] = {}

    class Meta:
        abstract = True

    def row_key(self, row: dict) -> str:
        return parse_text(row.get(self.key_field))

    def before_import_row(self, row, **kwargs):
        """Refuse a second row for the same thing: the file must say one thing once."""
        key = lookup_key(self.row_identity(row))
        if not key:
            return
        first = self._seen.setdefault(key, row[ROW_NUMBER])
        if first != row[ROW_NUMBER]:
            raise ValidationError(
                {
                    self.key_field: _("“%(value)s” is also on row %(row)s of this file.")
                    % {"value": self.row_key(row), "row": first}
                }
            )

    def row_identity(self, row: dict) -> str:
        return parse_text(row.get(self.key_field))

    def get_or_init_instance(self, instance_loader, row):
        """Load the row's instance and note what it held, to tell changed rows from the rest."""
        instance, new = super().get_or_init_instance(instance_loader, row)
        if not new:
            self._snapshots[id(instance)] = {
                f.attribute: (self._raw(instance, f.attribute), getattr(instance, f.attribute))
                for f in self.get_import_fields()
                if f.attribute and f.column_name in row
            }
        return instance, new

    def _raw(self, instance, attribute: str):
        return getattr(instance, self._attnames.setdefault(attribute, self._attname(attribute)))

    def _attname(self, attribute: str) -> str:
        return self._meta.model._meta.get_field(attribute).attname

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Skip unchanged rows, and remember what changes in the others for the report."""
        if import_validation_errors:
            return False
        snapshot = self._snapshots.pop(id(instance), None)
        if snapshot is None:
            return False
        changes = []
        for attribute, (raw, shown) in snapshot.items():
            if self._raw(instance, attribute) != raw:
                field = self.fields[attribute]
                changes.append(
                    Change(
                        self.column_label(field.column_name),
                        _display(field.widget.render(shown) if shown is not None else None),
                        _display(field.widget.render(getattr(instance, attribute))),
                    )
                )
        if changes:
            self.row_changes[row[ROW_NUMBER]] = changes
            return False
        return True

    def column_label(self, key: str) -> str:
        kind = self.import_kind()
        col = kind.column_for(key) if kind else None
        return str(col.label) if col else key

    def import_kind(self) -> ImportKind | None:
        from inventory.importing import IMPORT_KINDS

        return IMPORT_KINDS.get(self.kind_key)

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.user
        instance._change_reason = self.reason


class AssetResource(RegisterResource):
    kind_key = "assets"
    key_field = "serial"

    serial = fields.Field(attribute="serial", column_name="serial", widget=SerialWidget())
    tag = fields.Field(attribute="tag", column_name="tag", widget=TagWidget())
    asset_model = fields.Field(
        attribute="asset_model",
        column_name="asset_model",
        widget=LookupWidget(load=asset_model_index, what=gettext_lazy("model")),
    )
    category = fields.Field(
        attribute=None,
        column_name="category",
        widget=LookupWidget(load=category_index, what=gettext_lazy("category")),
    )
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(AssetStatus, what=gettext_lazy("status")),
    )
    office = fields.Field(
        attribute="office",
        column_name="office",
        widget=LookupWidget(load=office_index, what=gettext_lazy("office")),
    )
    zone = fields.Field(
        attribute="zone", column_name="zone", widget=ChoiceWidget(Zone, what=gettext_lazy("zone"))
    )
    handover_set = fields.Field(
        attribute="handover_set",
        column_name="handover_set",
        widget=LookupWidget(load=handover_set_index, what=gettext_lazy("handover set")),
    )
    value = fields.Field(attribute="value", column_name="value", widget=DecimalWidget())
    warranty_end = fields.Field(
        attribute="warranty_end", column_name="warranty_end", widget=DateWidget()
    )
    custodian = fields.Field(attribute="custodian", column_name="custodian", widget=TextWidget())
    network_address = fields.Field(
        attribute="network_address", column_name="network_address", widget=TextWidget()
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget())

    class Meta:
        model = Asset
        fields = (
            "serial",
            "tag",
            "asset_model",
            "category",
            "status",
            "office",
            "zone",
            "handover_set",
            "value",
            "warranty_end",
            "custodian",
            "network_address",
            "notes",
        )
        import_id_fields = ("serial",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        store_row_values = True
        use_bulk = True
        batch_size = None
        clean_model_instances = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._by_serial: dict[str, Asset] | None = None
        self._tags: dict[str, str] | None = None
        self._file_tags: dict[str, int] = {}

    def row_identity(self, row: dict) -> str:
        return services.serial_normalise(parse_text(row.get("serial")))

    def row_key(self, row: dict) -> str:
        return self.row_identity(row) or parse_text(row.get("tag"))

    def before_import(self, dataset, **kwargs):
        """Load the assets the file names (by serial or tag), a few thousand per query."""
        headers = dataset.headers or []
        serials = {self.row_identity({"serial": v}) for v in dataset["serial"]} - {""}
        tags = (
            {services.tag_normalise(parse_text(v)) for v in dataset["tag"]} - {""}
            if "tag" in headers
            else set()
        )
        assets = Asset.objects.select_related(
            "asset_model__category", "asset_model__manufacturer", "office", "handover_set"
        )
        self._by_serial = {}
        for chunk in _chunks(sorted(serials)):
            self._by_serial.update((a.serial, a) for a in assets.filter(serial__in=chunk))
        self._tags = {asset.tag: serial for serial, asset in self._by_serial.items()}
        for chunk in _chunks(sorted(tags - set(self._tags))):
            self._tags.update(Asset.objects.filter(tag__in=chunk).values_list("tag", "serial"))
        # Rows change the cached instances in place; keep what the register said before.
        self._status_before = {serial: a.status for serial, a in self._by_serial.items()}
        self._tag_before = {serial: a.tag for serial, a in self._by_serial.items()}

    def get_instance(self, instance_loader, row):
        serial = self.row_identity(row)
        if not serial:
            raise ValidationError({"serial": _("The serial number is required.")})
        return self._by_serial.get(serial)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "category" in row and "category" not in errors and instance.asset_model_id:
            try:
                category = self.fields["category"].clean(row)
            except ValueError as error:
                errors["category"] = [str(error)]
            else:
                if category is not None and category != instance.asset_model.category:
                    errors["category"] = [
                        _("The model %(model)s is a %(model_category)s, not a %(category)s.")
                        % {
                            "model": instance.asset_model,
                            "model_category": instance.asset_model.category,
                            "category": category,
                        }
                    ]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        original = self._by_serial.get(instance.serial) if instance.serial else None
        status_before = self._status_before.get(instance.serial)

        def add(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        if not instance.asset_model_id and "asset_model" not in errors:
            add("asset_model", _("The model is required."))
        if instance.tag:
            owner = self._tags.get(instance.tag)
            if owner is not None and owner != instance.serial:
                add(
                    "tag",
                    _("Asset tag %(tag)s is already used by serial %(serial)s.")
                    % {"tag": instance.tag, "serial": owner},
                )
            first = self._file_tags.setdefault(instance.tag, id(instance))
            if first != id(instance):
                add(
                    "tag",
                    _("Asset tag %(tag)s appears twice in this file.") % {"tag": instance.tag},
                )
        elif original is not None:
            instance.tag = self._tag_before[instance.serial]
        if original is None:
            instance.status = instance.status or AssetStatus.IN_STOCK
            if instance.status not in services.REGISTRATION_STATUSES and "status" not in errors:
                add(
                    "status",
                    _("A new asset cannot be registered as “%(status)s”.")
                    % {"status": services.status_label(instance.status)},
                )
        elif instance.status != status_before and "status" not in errors:
            if not instance.status:
                instance.status = status_before
            else:
                try:
                    services.transition_check(from_status=status_before, to_status=instance.status)
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
        if instance.value is not None and instance.value < 0:
            add("value", _("The value cannot be negative."))
        try:
            instance.network_address = services.network_address_normalise(instance.network_address)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors:
            try:
                services.place_check(
                    status=instance.status, office=instance.office, zone=instance.zone
                )
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and not dry_run:
            services.assets_create_bulk(
                assets=self.create_instances, by=self.user, reason=self.reason
            )
        self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and not dry_run:
            names = [f.attribute for f in self.get_import_fields() if f.attribute]
            services.assets_update_bulk(
                assets=self.update_instances,
                fields=[n for n in names if n != "serial"],
                by=self.user,
                reason=self.reason,
            )
        self.update_instances.clear()


def category_names() -> list[str]:
    """Return the categories as a template's drop-down offers them."""
    return [c.name for c in Category.objects.all()]


def office_codes() -> list[str]:
    """Return the office codes a template's drop-down offers."""
    return list(Office.objects.values_list("code", flat=True))


def handover_set_codes() -> list[str]:
    """Return the handover-set codes a template's drop-down offers."""
    return list(HandoverSet.objects.values_list("code", flat=True))


def _asset_choices():
    return {
        "category": category_names,
        "status": lambda: [str(label) for value, label in AssetStatus.choices],
        "zone": lambda: [str(label) for value, label in Zone.choices],
        "office": office_codes,
        "handover_set": handover_set_codes,
        "asset_model": lambda: [
            f"{m.manufacturer.name} {m.name}"
            for m in AssetModel.objects.select_related("manufacturer")
        ],
    }


def category_column(*, required: bool = False):
    """Return the category column, shared by every import that names one."""
    return column(
        "category", gettext_lazy("Category"), "Type", "Тип", "Категория", "Навъ", required=required
    )


def office_column(*, required: bool = False):
    """Return the office column (by code or name), shared by every import that names one."""
    return column(
        "office",
        gettext_lazy("Office"),
        "Office code",
        "Отдел",
        "Офис",
        "Шуъба",
        required=required,
    )


def handover_set_column(*, required: bool = False):
    """Return the handover-set column, shared by every import that names one."""
    return column(
        "handover_set",
        gettext_lazy("Handover set"),
        "Set",
        "Комплект",
        "Комплект передачи",
        "Маҷмӯи супоришӣ",
        required=required,
    )


ASSET_COLUMNS = (
    column(
        "serial",
        gettext_lazy("Serial number"),
        "Serial",
        "Serial No",
        "Serial No.",
        "S/N",
        "SN",
        "Серийный номер",
        "Серийный №",
        "Заводской номер",
        "Зав. №",
        "Рақами силсилавӣ",
        "Рақами серияви",
        required=True,
    ),
    column(
        "tag", gettext_lazy("Asset tag"), "Tag", "Инвентарный номер", "Инв. №", "Рақами инвентарӣ"
    ),
    column(
        "asset_model",
        gettext_lazy("Model"),
        "Model",
        "Device model",
        "Модель",
        "Модель устройства",
        "Наименование",
        "Модел",
    ),
    category_column(),
    column("status", gettext_lazy("Status"), "Статус", "Состояние", "Ҳолат"),
    office_column(),
    column("zone", gettext_lazy("Zone"), "Зона", "Бахш"),
    handover_set_column(),
    column(
        "value",
        gettext_lazy("Value (USD)"),
        "Value",
        "Price",
        "Unit price",
        "Cost",
        "Стоимость",
        "Цена",
        "Арзиш",
        "Нарх",
    ),
    column(
        "warranty_end",
        gettext_lazy("Warranty end"),
        "Warranty",
        "Warranty until",
        "Гарантия до",
        "Окончание гарантии",
        "Гарантия",
        "Кафолат то",
    ),
    column("custodian", gettext_lazy("Custodian"), "Ответственный", "Шахси масъул"),
    column(
        "network_address",
        gettext_lazy("Network address"),
        "IP",
        "IP address",
        "IP-адрес",
        "Сетевой адрес",
        "Суроғаи шабака",
    ),
    column("notes", gettext_lazy("Notes"), "Comment", "Примечание", "Комментарий", "Эзоҳ"),
)


class OfficeResource(RegisterResource):
    kind_key = "offices"
    key_field = "code"

    code = fields.Field(attribute="code", column_name="code", widget=TagWidget())
    kind = fields.Field(
        attribute="kind",
        column_name="kind",
        widget=ChoiceWidget(OfficeKind, what=gettext_lazy("kind")),
    )
    district = fields.Field(
        attribute="district",
        column_name="district",
        widget=LookupWidget(load=district_index, what=gettext_lazy("district")),
    )
    name_en = fields.Field(attribute="name_en", column_name="name_en", widget=TextWidget())
    name_ru = fields.Field(attribute="name_ru", column_name="name_ru", widget=TextWidget())
    name_tg = fields.Field(attribute="name_tg", column_name="name_tg", widget=TextWidget())
    address = fields.Field(attribute="address", column_name="address", widget=TextWidget())
    latitude = fields.Field(attribute="latitude", column_name="latitude", widget=CoordinateWidget())
    longitude = fields.Field(
        attribute="longitude", column_name="longitude", widget=CoordinateWidget()
    )
    phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())

    class Meta:
        model = Office
        fields = (
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
        )
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        store_row_values = True
        clean_model_instances = False

    def before_import(self, dataset, **kwargs):
        self._by_code = {office.code: office for office in Office.objects.all()}

    def get_instance(self, instance_loader, row):
        code = services.tag_normalise(parse_text(row.get("code")))
        if not code:
            raise ValidationError({"code": _("The office code is required.")})
        return self._by_code.get(code)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.name_en and "name_en" not in errors:
            errors["name_en"] = [_("The English name is required.")]
        if not instance.kind and "kind" not in errors:
            errors["kind"] = [_("The kind of office is required.")]
        if not instance.district_id and "district" not in errors:
            errors["district"] = [_("The district is required.")]
        if not errors:
            instance.region_id = instance.district.region_id
            try:
                instance.clean()
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


OFFICE_COLUMNS = (
    column("code", gettext_lazy("Code"), "Office code", "Код", "Код отдела", "Рамз", required=True),
    column("kind", gettext_lazy("Kind"), "Type", "Тип", "Вид", "Навъ"),
    column("district", gettext_lazy("District"), "City", "Район", "Город", "Ноҳия", "Шаҳр"),
    column("name_en", gettext_lazy("name (English)"), "Name", "Name EN", "Название (англ.)"),
    column("name_ru", gettext_lazy("name (Russian)"), "Name RU", "Название", "Название (рус.)"),
    column("name_tg", gettext_lazy("name (Tajik)"), "Name TG", "Название (тадж.)", "Ном"),
    column("address", gettext_lazy("Address"), "Адрес", "Суроға"),
    column("latitude", gettext_lazy("Latitude"), "Lat", "Широта", "Арзи ҷуғрофӣ"),
    column("longitude", gettext_lazy("Longitude"), "Lon", "Lng", "Долгота", "Тӯли ҷуғрофӣ"),
    column("phone", gettext_lazy("Phone"), "Телефон"),
)


class AssetModelResource(RegisterResource):
    kind_key = "asset_models"
    key_field = "name"

    manufacturer = fields.Field(
        attribute="manufacturer", column_name="manufacturer", widget=TextWidget()
    )
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=LookupWidget(load=category_index, what=gettext_lazy("category")),
    )
    part_number = fields.Field(
        attribute="part_number", column_name="part_number", widget=TextWidget()
    )

    class Meta:
        model = AssetModel
        fields = ("manufacturer", "name", "category", "part_number")
        import_id_fields = ("manufacturer", "name")
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        store_row_values = True
        clean_model_instances = False

    def row_identity(self, row: dict) -> str:
        return f"{parse_text(row.get('manufacturer'))} {parse_text(row.get('name'))}"

    def row_key(self, row: dict) -> str:
        return self.row_identity(row).strip()

    def before_import(self, dataset, **kwargs):
        self._manufacturers = {lookup_key(m.name): m for m in Manufacturer.objects.all()}
        self._models = {
            (lookup_key(m.manufacturer.name), lookup_key(m.name)): m
            for m in AssetModel.objects.select_related("manufacturer", "category")
        }

    def get_instance(self, instance_loader, row):
        maker, name = lookup_key(row.get("manufacturer")), lookup_key(row.get("name"))
        errors = {}
        if not maker:
            errors["manufacturer"] = [_("The manufacturer is required.")]
        if not name:
            errors["name"] = [_("The model name is required.")]
        if errors:
            raise ValidationError(errors)
        return self._models.get((maker, name))

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "manufacturer":
            # An unknown manufacturer is created with the model (at save time).
            text = parse_text(row.get("manufacturer"))
            known = self._manufacturers.get(lookup_key(text))
            if instance.pk is None or known != instance.manufacturer:
                instance.manufacturer = known or Manufacturer(name=text)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.category_id and "category" not in errors:
            errors["category"] = [_("The category is required.")]
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        if instance.manufacturer.pk is None:
            instance.manufacturer.save()
            self._manufacturers[lookup_key(instance.manufacturer.name)] = instance.manufacturer
            # The model was given the manufacturer before it had a primary key.
            instance.manufacturer_id = instance.manufacturer.pk
        super().do_instance_save(instance, is_create)


ASSET_MODEL_COLUMNS = (
    column(
        "manufacturer",
        gettext_lazy("Manufacturer"),
        "Make",
        "Brand",
        "Vendor",
        "Производитель",
        "Марка",
        "Истеҳсолкунанда",
        required=True,
    ),
    column("name", gettext_lazy("Model"), "Model name", "Модель", "Модел", required=True),
    category_column(required=True),
    column("part_number", gettext_lazy("Part number"), "P/N", "PN", "Артикул", "Парт-номер"),
)


def register_import_kinds() -> None:
    """Register the register's imports (called from InventoryConfig.ready)."""
    import_kind_register(
        ImportKind(
            key="assets",
            label=gettext_lazy("Assets"),
            columns=ASSET_COLUMNS,
            resource_factory=AssetResource,
            permission="inventory.add_asset",
            list_url_name="asset_list",
            example_row={
                "serial": "CNB3K12345",
                "tag": "",
                "asset_model": "HP LaserJet Pro M404dn",
                "category": "Printer",
                "status": "In stock",
                "office": "WH-DUS",
                "zone": "Storage",
                "handover_set": "HS-2024-01",
                "value": Decimal("420.00"),
                "warranty_end": timezone.localdate().replace(month=3, day=15),
                "custodian": "",
                "network_address": "",
                "notes": "",
            },
            choices=_asset_choices(),
        )
    )
    import_kind_register(
        ImportKind(
            key="offices",
            label=gettext_lazy("Offices"),
            columns=OFFICE_COLUMNS,
            resource_factory=OfficeResource,
            permission="inventory.add_office",
            list_url_name="office_list",
            example_row={
                "code": "CR-SU-KHU-2",
                "kind": "City CR office",
                "district": "SU-KHU",
                "name_en": "Khujand CR office No. 2",
                "name_ru": "Отдел ЗАГС № 2, город Худжанд",
                "name_tg": "Шуъбаи САҲШ № 2, шаҳри Хуҷанд",
                "address": "",
                "latitude": Decimal("40.28330"),
                "longitude": Decimal("69.63330"),
                "phone": "",
            },
            choices={
                "kind": lambda: [str(label) for value, label in OfficeKind.choices],
                "district": lambda: [d.code for d in District.objects.all()],
            },
        )
    )
    import_kind_register(
        ImportKind(
            key="asset_models",
            label=gettext_lazy("Asset models"),
            columns=ASSET_MODEL_COLUMNS,
            resource_factory=AssetModelResource,
            permission="inventory.add_assetmodel",
            list_url_name="dashboard",
            example_row={
                "manufacturer": "HP",
                "name": "LaserJet Pro M404dn",
                "category": "Printer",
                "part_number": "W1A53A",
            },
            choices={"category": category_names},
        )
    )

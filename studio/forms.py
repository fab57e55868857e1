"""Input of the studio's pages. A fact's fields are checked by the content loader (see
`checks.fact_errors`), not here: these forms only read what was typed."""

from django import forms

from exercises.models import KnowledgeFact
from grading.content.exporting import dump_yaml
from grading.content.files import YAML_LOADER, yaml_problem_in_words

from .imports import MAX_IMPORT_BYTES

# What a new fact's `data` starts from, per category (the shapes of docs/knowledge-base.md).
DATA_TEMPLATES = {
    "plan": {
        "plan": "Pro",
        "aliases": ["pro plan"],
        "price_basis": "per_seat",
        "monthly_price": 20,
        "annual_price": 192,
        "seat_limit": None,
    },
    "addon": {
        "addon": "Extra seat",
        "aliases": ["additional seat"],
        "price": 8,
        "per": "seat",
        "period": "month",
    },
    "quota": {
        "quota": "Monthly sends",
        "aliases": ["sends"],
        "unit": "emails",
        "limit": 5000,
        "resets": "monthly",
        "rollover": False,
    },
    "feature": {"feature": "Automations", "aliases": ["automation"], "plans": []},
    "policy": {
        "policy": "Refund window",
        "aliases": ["refund"],
        "duration": {"value": 14, "unit": "days"},
    },
    "rule": {"rule": "Unused sends roll over", "aliases": ["roll over"], "value": False},
    "not_offered": {"thing": "SMS marketing", "aliases": ["SMS"], "alternative": ""},
    "sla": {
        "plan": "Pro",
        "channels": ["email"],
        "first_response": {"value": 1, "unit": "business_days"},
    },
    "process": {
        "task": "Change the billing email",
        "aliases": ["billing email"],
        "current_path": "Settings > Billing",
    },
    "troubleshooting": {
        "problem": "Emails going to spam",
        "aliases": ["spam"],
        "steps": ["First step"],
    },
}
FACT_FIELDS = ("id", "category", "title", "statement", "source_url")


def data_template(category: str) -> str:
    return dump_yaml(DATA_TEMPLATES.get(category, {}))


class FactForm(forms.Form):
    id = forms.CharField(
        label="Id",
        max_length=120,
        help_text="A lowercase slug, unique in the knowledge base (e.g. plan-pro).",
    )
    category = forms.ChoiceField(choices=KnowledgeFact.Category.choices)
    title = forms.CharField(max_length=200)
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or two plain sentences an agent could quote; true as written.",
    )
    source_url = forms.CharField(
        label="Source URL", max_length=300, help_text="The help-centre page (under the help site)."
    )
    data = forms.CharField(
        label="Data (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        help_text="The structured fields the claim checker reads; see the guide below.",
    )

    def __init__(self, *args, id_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if id_locked:
            self.fields["id"].disabled = True
            self.fields["id"].help_text = "A published fact keeps its id."

    def clean_data(self):
        text = self.cleaned_data.get("data") or ""
        if not text.strip():
            return {}
        try:
            loader = YAML_LOADER(text)
            try:
                value = loader.get_single_data()
            finally:
                loader.dispose()
        except Exception as exc:  # the parser's errors are several classes
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark else ""
            problem = yaml_problem_in_words(getattr(exc, "problem", None) or str(exc))
            raise forms.ValidationError(f"{where}not valid YAML: {problem}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("expected fields, one `name: value` per line")
        return value

    def content(self) -> dict:
        """The fact as it would be in the files."""
        data = self.cleaned_data
        return {
            "id": data["id"].strip(),
            "category": data["category"],
            "title": data["title"].strip(),
            "statement": data["statement"].strip(),
            "source_url": data["source_url"].strip(),
            "data": data["data"],
        }

    def add_content_errors(self, errors) -> list:
        """Put the loader's errors on the fields they name; returns the others."""
        rest = []
        for error in errors:
            name = error.field.split(".", 1)[0].split("[", 1)[0]
            if error.path != "studio draft":
                rest.append(error)
            elif name in FACT_FIELDS:
                self.add_error(name, error.message)
            elif name == "data":
                self.add_error("data", f"{error.field}: {error.message}")
            else:
                self.add_error(None, f"{error.field or 'fact'}: {error.message}")
        return rest


class TryForm(forms.Form):
    sentence = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='A sentence an agent or an AI draft might write, e.g. "Pro is $20 a month."',
    )
    plan = forms.ChoiceField(required=False, label="Customer's plan")
    billing_cycle = forms.ChoiceField(
        required=False,
        choices=[("", "not said"), ("monthly", "monthly"), ("annual", "annual")],
        label="Billing cycle",
    )

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "not said"), *((p, p) for p in plans)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _check_size(upload) -> None:
    if upload is not None and upload.size > MAX_IMPORT_BYTES:
        raise forms.ValidationError(
            f"{upload.name} is over {MAX_IMPORT_BYTES // 1_000_000} MB; split it."
        )


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV of facts")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        _check_size(upload)
        return upload


class HelpCentreImportForm(forms.Form):
    json_file = forms.FileField(
        label="Help-centre JSON export",
        required=False,
        help_text='Articles as the help centre\'s API gives them ({"articles": [...]}).',
    )
    markdown_files = MultipleFileField(
        label="Markdown articles",
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".md,.markdown,text/markdown"}),
        help_text="One article per file; front matter title, url, section, labels.",
    )

    def clean(self):
        cleaned = super().clean()
        json_file, markdown = cleaned.get("json_file"), cleaned.get("markdown_files") or []
        if not json_file and not markdown:
            raise forms.ValidationError("Choose a JSON export or one or more Markdown files.")
        for upload in [json_file, *markdown]:
            _check_size(upload)
        return cleaned

"""Input of the authoring pages: the ticket import form and the rubric editor's rows."""

from __future__ import annotations

import copy

from django import forms

from curriculum.models import ExerciseType

# Under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which the review form's POST (the
# parsed tickets travel in it) must fit.
MAX_UPLOAD_BYTES = 2_000_000
MAX_PASTE_CHARS = 200_000


class TicketImportForm(forms.Form):
    thread = forms.CharField(
        label="Paste a ticket thread",
        required=False,
        max_length=MAX_PASTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    export = forms.FileField(label="…or upload a help-desk export (JSON or CSV)", required=False)
    scenario_type = forms.ChoiceField(label="Exercise type", choices=ExerciseType.choices)

    def clean_export(self):
        upload = self.cleaned_data.get("export")
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}. "
                "Export fewer tickets at a time."
            )
        return upload

    def clean(self):
        data = super().clean()
        if not (data.get("thread") or "").strip() and not data.get("export"):
            raise forms.ValidationError("Paste a ticket thread or choose an export file.")
        return data


def rubric_form_rows(snapshot: dict) -> list[dict]:
    """One row per criterion for the editor, plus an empty row to add one."""
    rows = []
    for order, criterion in enumerate(snapshot.get("criteria", [])):
        rows.append(
            {
                "index": order,
                "id": criterion["id"],
                "existing": True,
                "title": criterion.get("title", ""),
                "description": criterion.get("description", ""),
                "order": order + 1,
                "weight": criterion.get("weight", 1),
                "allow_na": bool(criterion.get("allow_na")),
                "critical": bool(criterion.get("critical")),
                "critical_cap": ""
                if criterion.get("critical_cap") is None
                else criterion["critical_cap"],
                "levels": "\n".join(
                    f"{lv['points']} | {lv.get('title', '')} | {lv.get('description', '')}".rstrip(
                        " |"
                    )
                    for lv in criterion.get("levels", [])
                ),
            }
        )
    rows.append(
        {
            "index": len(rows),
            "id": "",
            "existing": False,
            "title": "",
            "description": "",
            "order": len(rows) + 1,
            "weight": 1,
            "allow_na": False,
            "critical": False,
            "critical_cap": "",
            "levels": "",
        }
    )
    return rows


def _number(value: str, kind=float):
    value = (value or "").strip()
    if not value:
        return None
    return kind(value)


def rubric_spec_from_post(post, snapshot: dict) -> tuple[dict, list[str], list[dict]]:
    """The edited rubric (expanded form), the problems reading it, and the rows as typed
    (to show the form again)."""
    old = {c["id"]: c for c in snapshot.get("criteria", [])}
    problems: list[str] = []
    rows: list[dict] = []
    criteria: list[tuple[float, int, dict]] = []
    count = int(post.get("criterion_count") or 0)
    for index in range(min(count, 100)):
        get = lambda name, i=index: (post.get(f"c{i}_{name}") or "").strip()  # noqa: E731
        row = {
            "index": index,
            "id": get("id"),
            "existing": get("id") in old,
            "title": get("title"),
            "description": get("description"),
            "order": get("order"),
            "weight": get("weight"),
            "allow_na": bool(post.get(f"c{index}_allow_na")),
            "critical": bool(post.get(f"c{index}_critical")),
            "critical_cap": get("critical_cap"),
            "levels": post.get(f"c{index}_levels") or "",
            "remove": bool(post.get(f"c{index}_remove")),
        }
        rows.append(row)
        if row["remove"] or (not row["id"] and not row["title"] and not row["levels"].strip()):
            continue
        label = f"criterion {row['id'] or index + 1}"
        criterion = copy.deepcopy(old.get(row["id"], {}))
        criterion.update(
            id=row["id"],
            title=row["title"],
            description=row["description"],
            allow_na=row["allow_na"],
            critical=row["critical"],
        )
        try:
            criterion["weight"] = _number(row["weight"]) or 1
            criterion["critical_cap"] = _number(row["critical_cap"])
            order = _number(row["order"]) or index + 1
        except ValueError:
            problems.append(f"{label}: weight, cap and order are numbers")
            continue
        if not criterion["critical"]:
            criterion["critical_cap"] = None
            criterion.pop("critical_at", None)
        levels = []
        for number, line in enumerate(row["levels"].splitlines(), start=1):
            if not line.strip():
                continue
            points, _, rest = line.partition("|")
            title, _, description = rest.partition("|")
            try:
                value = int(points.strip())
            except ValueError:
                problems.append(f"{label}, level line {number}: start with whole points, then |")
                continue
            levels.append(
                {"points": value, "title": title.strip(), "description": description.strip()}
            )
        criterion["levels"] = levels
        criteria.append((order, index, criterion))
    spec = {
        "title": (post.get("title") or "").strip(),
        "description": (post.get("description") or "").strip(),
        "criteria": [c for _, _, c in sorted(criteria, key=lambda item: item[:2])],
    }
    return spec, problems, rows

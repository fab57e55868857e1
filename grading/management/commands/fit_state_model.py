"""manage.py fit_state_model SET... : fit the message-state model on labelled messages."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from curriculum.json_input import JSONInputError, json_loads_limited
from grading.batch import BadLine, BatchLimits, read_lines, require_text
from grading.detectors.learned import DEFAULT_MODEL, StateModel
from grading.detectors.messages import STATES, message_cues, sentiment_compound

NGRAMS = (2, 5)


def read_labelled(paths: list[str]) -> list[tuple[str, str]]:
    """(message, state) pairs from messages.jsonl files or directories holding them."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(path.glob("messages*.jsonl"))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{raw}: no such file or directory")
    pairs = []
    limits = BatchLimits.from_settings()
    for file in files:
        with file.open("rb") as source:
            pairs += _read_set(file, source, limits)
    return pairs


def _read_set(file: Path, source, limits: BatchLimits) -> list[tuple[str, str]]:
    """A training set must be clean: the first bad line stops the fit, named by file:line."""
    pairs = []
    for number, line, problem in read_lines(source, limits):
        if problem:
            raise CommandError(f"{file}:{number}: {problem}")
        if not line.strip():
            continue
        try:
            record = json_loads_limited(line)
            if not isinstance(record, dict):
                raise BadLine("expected a JSON object")
            state = record.get("state")
            if state not in STATES:
                raise BadLine(f"field 'state' must be one of {', '.join(STATES)}")
            pairs.append((require_text(record, "message"), state))
        except (json.JSONDecodeError, BadLine, JSONInputError) as exc:
            raise CommandError(f"{file}:{number}: {exc}") from exc
    return pairs


def fit(pairs: list[tuple[str, str]], *, cue_weight: float, strength: float) -> dict:
    """Fit both linear parts with scikit-learn and return the model as plain JSON data."""
    try:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
    except ImportError as exc:
        raise CommandError(
            "fitting needs scikit-learn: `make state-model` installs it, or "
            "`.venv/bin/pip install scikit-learn`"
        ) from exc
    texts = [text for text, _ in pairs]
    labels = [state for _, state in pairs]
    if len(set(labels)) < len(STATES):
        raise CommandError(f"every state needs labelled messages; found only {sorted(set(labels))}")
    cue_rows = [message_cues(text, sentiment_compound(text)) for text in texts]
    names = list(cue_rows[0])
    cues = np.array([[row[name] for name in names] for row in cue_rows])
    scaler = StandardScaler().fit(cues)
    cue_model = LogisticRegression(C=strength, max_iter=5000).fit(scaler.transform(cues), labels)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, min_df=2, sublinear_tf=True, lowercase=True
    )
    grams = vectorizer.fit_transform(texts)
    text_model = LogisticRegression(C=strength, max_iter=5000).fit(grams, labels)

    def rounded(values) -> list:
        return [round(float(v), 6) for v in values]

    return {
        "classes": list(cue_model.classes_),
        "cue_weight": cue_weight,
        "trained_on": len(pairs),
        "cues": {
            "names": names,
            "mean": rounded(scaler.mean_),
            "scale": rounded(scaler.scale_),
            "coef": [rounded(row) for row in cue_model.coef_],
            "intercept": rounded(cue_model.intercept_),
        },
        "text": {
            "ngram_range": list(NGRAMS),
            "vocabulary": {gram: int(i) for gram, i in sorted(vectorizer.vocabulary_.items())},
            "idf": rounded(vectorizer.idf_),
            "coef": [rounded(row) for row in text_model.coef_],
            "intercept": rounded(text_model.intercept_),
        },
    }


class Command(BaseCommand):
    help = (
        "Fit the message-state model (cue counts plus character n-grams) on labelled "
        "messages.jsonl sets; analyse_message reads it from then on."
    )

    def add_arguments(self, parser):
        parser.add_argument("sets", nargs="+", help="messages .jsonl files or directories")
        parser.add_argument("--output", default=str(DEFAULT_MODEL))
        parser.add_argument(
            "--cue-weight", type=float, default=0.3, help="share of the cue part (0..1)"
        )
        parser.add_argument("--strength", type=float, default=1.0, help="inverse regularisation")

    def handle(self, *args, **options):
        if not 0 <= options["cue_weight"] <= 1:
            raise CommandError("--cue-weight must be between 0 and 1")
        pairs = read_labelled(options["sets"])
        if len(pairs) < 40:
            raise CommandError(f"only {len(pairs)} labelled messages; fit on at least 40")
        data = fit(pairs, cue_weight=options["cue_weight"], strength=options["strength"])
        StateModel.from_dict(data)  # what is written must read back
        output = Path(options["output"])
        output.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        self.stdout.write(
            f"Fitted on {len(pairs)} messages; wrote {output} "
            f"({len(data['text']['vocabulary'])} n-grams, {len(data['cues']['names'])} cues)."
        )

"""The fitted message-state model: its n-grams, reading, blending, refitting and switching off."""

import json

import pytest
from django.core.management import CommandError, call_command

from grading.detectors import learned
from grading.detectors.learned import StateModel, StateModelError, char_wb_ngrams
from grading.detectors.messages import analyze_message

CLASSES = ["confused", "frustrated", "satisfied", "urgent"]


def _model(*, cue_weight=0.5, praise_weight=4.0, text_bias=None) -> dict:
    """A hand-made model: the cue part votes satisfied on praise; the text part votes
    urgent on the n-gram ' now'."""
    text_intercept = text_bias or [0.0, 0.0, 0.0, 0.0]
    return {
        "classes": CLASSES,
        "cue_weight": cue_weight,
        "trained_on": 3,
        "cues": {
            "names": ["praise"],
            "mean": [0.0],
            "scale": [1.0],
            "coef": [[0.0], [0.0], [praise_weight], [0.0]],
            "intercept": [0.0, 0.0, 0.0, 0.0],
        },
        "text": {
            "ngram_range": [2, 4],
            "vocabulary": {" now": 0},
            "idf": [1.0],
            "coef": [[0.0], [0.0], [0.0], [6.0]],
            "intercept": text_intercept,
        },
    }


def test_char_ngrams_pad_each_word_and_count_short_words_once():
    assert char_wb_ngrams("Hi  YO", 2, 3) == [
        " h",
        "hi",
        "i ",
        " hi",
        "hi ",
        " y",
        "yo",
        "o ",
        " yo",
        "yo ",
    ]
    assert char_wb_ngrams("a", 2, 4) == [" a", "a ", " a "]


def test_the_two_parts_are_blended_by_the_cue_weight():
    model = StateModel.from_dict(_model(cue_weight=1.0))
    assert model.predict("do it now", {"praise": 1.0}) == "satisfied"
    model = StateModel.from_dict(_model(cue_weight=0.0))
    assert model.predict("do it now", {"praise": 1.0}) == "urgent"


def test_a_broken_model_file_names_the_file(tmp_path):
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps({"classes": CLASSES}), encoding="utf-8")
    with pytest.raises(StateModelError, match=r"model\.json"):
        learned.load_state_model(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateModelError, match="cannot be read"):
        learned.load_state_model(bad)


def test_an_installation_model_is_read_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_model(cue_weight=0.0, text_bias=[0, 0, 9, 0])), encoding="utf-8")
    monkeypatch.setenv(learned.MODEL_ENV, str(path))
    # the text part now says satisfied for anything without ' now'
    assert analyze_message("Where do I find the export settings?").state == "satisfied"
    monkeypatch.setenv(learned.MODEL_ENV, "")
    assert learned.state_model() is None
    assert analyze_message("Where do I find the export settings?").state == "confused"


def test_decisive_cues_keep_the_rules_reading_whatever_the_model_says(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_model(cue_weight=0.0, text_bias=[0, 0, 9, 0])), encoding="utf-8")
    monkeypatch.setenv(learned.MODEL_ENV, str(path))
    assert analyze_message("Fix the import by Friday or we cancel.").state == "frustrated"
    assert analyze_message("I still don't understand how seats are counted.").state == "confused"


def _write_set(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _labelled(n_each=12):
    examples = {
        "urgent": "Our send goes out at {i}pm today and the list is empty, please help now.",
        "frustrated": "This is the {i}th time the import failed and nobody has replied.",
        "confused": "How do I move contact {i} to another list? I don't understand tags.",
        "satisfied": "Thank you, the new editor is brilliant, {i} campaigns sent already!",
    }
    return [
        {"id": f"{state}-{i}", "message": text.format(i=i + 2), "state": state}
        for state, text in examples.items()
        for i in range(n_each)
    ]


def test_fit_state_model_writes_a_model_that_reads_back(tmp_path):
    pytest.importorskip("sklearn")
    data = tmp_path / "messages.jsonl"
    _write_set(data, _labelled())
    out = tmp_path / "model.json"
    call_command("fit_state_model", str(tmp_path), "--output", str(out))
    model = learned.load_state_model(out)
    assert model.trained_on == 48
    assert set(model.classes) == set(CLASSES)
    assert model.predict("Thank you, brilliant editor!", {"praise": 2.0}) == "satisfied"


def test_fit_state_model_refuses_bad_sets(tmp_path):
    data = tmp_path / "messages.jsonl"
    _write_set(data, [{"id": "x", "message": "hi", "state": "angry"}])
    with pytest.raises(CommandError, match=r"messages.jsonl:1: field 'state'"):
        call_command("fit_state_model", str(data), "--output", str(tmp_path / "m.json"))
    _write_set(data, _labelled(n_each=5))
    with pytest.raises(CommandError, match="at least 40"):
        call_command("fit_state_model", str(data), "--output", str(tmp_path / "m.json"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("fit_state_model", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError, match="--cue-weight"):
        call_command("fit_state_model", str(data), "--cue-weight", "2")


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b'{"id": "x", "message": "caf\xe9", "state": "confused"}\n', "not valid UTF-8"),
        (b'{"id": "x", "message": ' + b"[" * 5000 + b"]" * 5000 + b"}\n", "nested more than"),
    ],
)
def test_fit_state_model_names_an_undecodable_or_nested_line(tmp_path, raw, said):
    data = tmp_path / "messages.jsonl"
    data.write_bytes(b'{"id": "a", "message": "hi", "state": "confused"}\n' + raw)
    with pytest.raises(CommandError, match=rf"messages.jsonl:2: {said}"):
        call_command("fit_state_model", str(data), "--output", str(tmp_path / "m.json"))

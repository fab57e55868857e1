"""The offline grader compiles a knowledge base once per version and reads a reply once;
the LLM path reuses the offline work. Grades are the same whichever caches are warm."""

import dataclasses
import functools

import pytest

from grading import services
from grading.batch import library_from_bundle
from grading.content.files import read_content
from grading.detectors import claims as claims_module
from grading.detectors import knowledge_base as kb_module
from grading.detectors import replies
from grading.detectors import text as text_module
from grading.detectors.claims import check_claims
from grading.detectors.knowledge_base import (
    COMPILED_CACHE_SIZE,
    KnowledgeBase,
    compiled,
    compiled_cache_clear,
)
from grading.models import Grade
from grading.offline import grade_answer, grade_reply
from tests.factories import SubmissionFactory
from tests.grading.submissions import llm_scores

PLAN = {
    "id": "plan-team",
    "category": "plan",
    "title": "Team plan",
    "statement": "The Team plan costs $20 per seat per month.",
    "source_url": "https://help.example.com/plans/team",
    "data": {"plan": "Team", "monthly_price": 20, "annual_price": 200, "seat_limit": 50},
}
REPLY = "Hi Dana, the Team plan costs $20 per seat per month. I'll confirm the change today."


def kb_with(statement: str | None = None, **data) -> KnowledgeBase:
    fact = {**PLAN, "data": {**PLAN["data"], **data}}
    if statement:
        fact["statement"] = statement
    return KnowledgeBase.from_facts([fact], company={"name": "Acme"})


@pytest.fixture(autouse=True)
def cold_caches():
    compiled_cache_clear()
    yield
    compiled_cache_clear()


@pytest.fixture(scope="module")
def library():
    bundle = read_content("fixtures/content")
    return bundle, library_from_bundle(bundle)


def example_jobs(bundle, library) -> list[dict]:
    jobs = []
    for item in bundle.of("example"):
        exercise = library.exercises[item.data["exercise"]]
        jobs.append(
            {
                "exercise_type": exercise["type"],
                "scenario": library.scenarios[item.data["scenario"]],
                "answer": item.data["answer"],
                "rubric": library.rubrics[exercise["rubric"]],
            }
        )
    return jobs


# ---- the compiled knowledge base --------------------------------------------------------


def test_kb_objects_of_one_version_share_one_compiled_form():
    first, second = kb_with(), kb_with()
    assert first is not second and first.version == second.version
    assert compiled(first) is compiled(second)


def test_compiled_form_is_recompiled_when_the_kb_changes():
    old, new = kb_with(), kb_with("The Team plan costs $25.", monthly_price=25)
    assert old.version != new.version
    assert compiled(old) is not compiled(new)
    # The checker answers from the new facts, not the old version's compiled tables.
    assert [c.status for c in check_claims(REPLY, old) if c.kind == "price"] == ["supported"]
    assert [c.status for c in check_claims(REPLY, new) if c.kind == "price"] == ["contradicted"]


def test_compiled_cache_is_bounded_and_drops_the_least_recently_used():
    kbs = [kb_with(seat_limit=10 + n) for n in range(COMPILED_CACHE_SIZE + 1)]
    first = compiled(kbs[0])
    for kb in kbs[1:]:
        compiled(kb)
    assert len(kb_module._compiled) == COMPILED_CACHE_SIZE
    assert compiled(kbs[0]) is not first  # evicted, compiled afresh


def test_kb_without_a_version_keeps_its_compiled_form_on_the_object():
    bare = KnowledgeBase(facts=kb_with().facts)
    assert bare.version == ""
    assert compiled(bare) is compiled(bare)
    assert compiled(bare) is not compiled(KnowledgeBase(facts=kb_with().facts))


def test_a_new_kb_version_is_compiled_once_for_many_replies(monkeypatch):
    built = []
    original = claims_module.relevance._topic_index.__wrapped__

    def counting(kb):
        built.append(kb.version)
        return original(kb)

    monkeypatch.setattr(
        claims_module.relevance, "_topic_index", claims_module.base.per_kb(counting)
    )
    for n in range(5):
        kb = kb_with()  # rebuilt per grade, as the pipeline does from the database
        claims_module.topics_in(f"{REPLY} ({n})", kb)
    assert built == [kb_with().version]


# ---- each reply read once -----------------------------------------------------------------


def test_a_reply_is_split_into_sentences_once_per_grade(monkeypatch):
    split = []
    original = text_module._sentences.__wrapped__

    def counting(text):
        split.append(text)
        return original(text)

    monkeypatch.setattr(text_module, "_sentences", functools.lru_cache(maxsize=64)(counting))
    reply = REPLY + " Your invoice shows the new seats from the next billing date."
    grade_reply(customer_message="Can I add seats to Team?", reply=reply, kb=kb_with())
    assert split.count(reply) == 1


def test_a_reply_is_analysed_and_claim_checked_once_per_grade(monkeypatch):
    analysed, checked = [], []
    original_analyse = replies._analyze_reply.__wrapped__
    original_check = claims_module._check_claims

    def analyse(*args):
        analysed.append(args[0])
        return original_analyse(*args)

    def check(text, kb, **kwargs):
        checked.append(text)
        return original_check(text, kb, **kwargs)

    monkeypatch.setattr(replies, "_analyze_reply", functools.lru_cache(maxsize=64)(analyse))
    monkeypatch.setattr(claims_module, "_check_claims", check)
    reply = REPLY + " Thanks for your patience."
    grade_reply(customer_message="What does Team cost?", reply=reply, kb=kb_with())
    grade_reply(customer_message="What does Team cost?", reply=reply, kb=kb_with())
    assert analysed == [reply]  # the second grade (a rebuilt KB) reuses the analysis
    assert checked == [reply]


def test_grades_are_identical_with_cold_and_warm_caches_and_a_rebuilt_kb(library):
    bundle, lib = library
    jobs = example_jobs(bundle, lib)
    cold = [grade_answer(**job, kb=lib.kb).as_dict() for job in jobs]
    rebuilt = dataclasses.replace(lib.kb)  # another object, same version
    assert rebuilt is not lib.kb and rebuilt.version == lib.kb.version
    warm = [grade_answer(**job, kb=rebuilt).as_dict() for job in reversed(jobs)]
    assert warm[::-1] == cold


def test_grading_bad_input_still_works_with_the_caches():
    kb = kb_with()
    for reply in ("", "   ", "?!", "$$$ 99999999999999999999 seats"):
        verdict = grade_reply(customer_message="", reply=reply, kb=kb)
        again = grade_reply(customer_message="", reply=reply, kb=kb)
        assert verdict == again
    assert check_claims(None, kb) == []


# ---- the LLM path -------------------------------------------------------------------------


@pytest.mark.django_db
def test_llm_grading_reuses_the_offline_verdict(loaded_content, agent, fake_llm, monkeypatch):
    from grading.models import Rubric

    rubric = Rubric.objects.get(slug="tone-calibration").current_version
    fake_llm.default = llm_scores(rubric.snapshot)
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    graded = []
    original = services.offline.grade_answer

    def counting(**kwargs):
        graded.append(kwargs["scenario"])
        return original(**kwargs)

    monkeypatch.setattr(services.offline, "grade_answer", counting)
    services.grading_run(submission_id=submission.pk)
    assert sorted(Grade.objects.filter(submission=submission).values_list("grader", flat=True)) == [
        "llm",
        "offline",
    ]
    # One offline grade of the submission, passed to the LLM grader as its evidence (the
    # prompt's findings grade the public view of the scenario, without its answer key).
    full = submission.scenario_version.data
    assert [s for s in graded if s == full] == [full]


def test_knowledge_bases_of_one_version_share_one_fact_order():
    """The compiled form is shared by version, and its tables follow the facts' order: the
    database's KB (ordered by slug) and the files' (in file order) must agree."""
    from grading.detectors.claims import audit_draft
    from grading.detectors.knowledge_base import KnowledgeBase, compiled_cache_clear

    raw = [
        {
            "id": f"rule-{name}",
            "category": "rule",
            "title": title,
            "statement": statement,
            "source_url": "https://help.example/rules",
            "data": {"rule": rule, "value": value, "aliases": aliases},
        }
        for name, title, statement, rule, value, aliases in [
            (
                "b-unused-sends",
                "Unused sends",
                "Unused sends do not roll over to the next month.",
                "Unused sends roll over",
                False,
                ["unused sends"],
            ),
            (
                "a-upgrades",
                "Upgrades",
                "Upgrades take effect immediately.",
                "Upgrades take effect immediately",
                True,
                ["upgrade"],
            ),
        ]
    ]
    compiled_cache_clear()
    backwards = KnowledgeBase.from_facts(list(reversed(raw)))
    forwards = KnowledgeBase.from_facts(raw)
    assert backwards.version == forwards.version
    assert [f.id for f in backwards.facts] == [f.id for f in forwards.facts]
    for kb in (backwards, forwards):
        for fact in raw:
            assert audit_draft(fact["statement"], kb) == []

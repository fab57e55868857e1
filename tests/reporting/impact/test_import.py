"""CSV import: good and bad rows, the per-row report, idempotent re-import, the task."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reporting.impact import services
from reporting.impact.models import ImportJob, TicketMetric
from tests.factories import CohortFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "ticket_id,agent_email,closed_at,category,handle_time_seconds,first_response_seconds,"
    "resolution_seconds,csat,ai_usage,draft_edit_ratio,draft_to_send_seconds"
)


def csv_file(*lines: str, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode(), "text/csv")


def run_import(user, upload, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(user=user, upload=upload)
    return ImportJob.objects.get(pk=job.pk)


def row_by_row(monkeypatch) -> None:
    """Make the import take its row-by-row path whatever the database."""
    monkeypatch.setattr(services, "connection", SimpleNamespace(vendor="sqlite"))


@pytest.fixture
def good_and_bad(agents):
    ana, ben, _ = agents
    outsider = UserFactory()  # a user, but in no cohort of the leader
    return [
        f"T-1,{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,5,ai_assisted,0.35,95",
        f"T-2,{ben.email.upper()},2025-06-01 11:00,complex,900,600,7200,,full_ai,0.02,20",
        f"T-3,{ana.email},2025-06-02T09:00:00Z,escalation,1500,200,9000,3,human,,",
        "T-4,nobody@example.com,2025-06-02T09:00:00Z,simple,420,300,3600,5,human,,",
        f"T-5,{ana.email},not-a-date,simple,420,300,3600,5,human,,",
        f"T-6,{ana.email},2025-06-02T09:00:00Z,simple,420,300,3600,9,human,,",
        f"T-7,{outsider.email},2025-06-02T09:00:00Z,simple,420,300,3600,4,human,,",
        "T-8,too,few,fields",
        "",
    ]


def test_good_rows_are_imported_and_bad_rows_reported(
    leader, good_and_bad, django_capture_on_commit_callbacks
):
    job = run_import(leader, csv_file(*good_and_bad), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE
    assert (job.rows_seen, job.rows_created, job.rows_updated, job.rows_rejected) == (8, 3, 0, 5)
    assert set(TicketMetric.objects.values_list("ticket_id", flat=True)) == {"T-1", "T-2", "T-3"}
    reasons = dict(job.rejections.values_list("line_number", "reason"))
    assert "no user with the email nobody@example.com" in reasons[5]
    assert "closed_at" in reasons[6]
    assert "csat" in reasons[7]
    assert "not an agent of your cohorts" in reasons[8]
    assert "has 4 fields" in reasons[9]
    t2 = TicketMetric.objects.get(ticket_id="T-2")
    assert t2.csat is None and t2.ai_usage == "full_ai" and t2.draft_edit_ratio == 0.02
    assert job.percent == 100
    assert not job.file.storage.exists(job.file.name)  # the export is not kept


def test_reimport_is_idempotent(leader, agents, django_capture_on_commit_callbacks):
    ana = agents[0]
    lines = [f"T-{i},{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,," for i in
             range(5)]  # fmt: skip
    run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    before = list(TicketMetric.objects.order_by("ticket_id").values_list("ticket_id", "csat"))
    job = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    assert (job.rows_created, job.rows_updated) == (0, 5)
    after = list(TicketMetric.objects.order_by("ticket_id").values_list("ticket_id", "csat"))
    assert before == after and TicketMetric.objects.count() == 5
    changed = [lines[0].replace(",4,human", ",2,human")]
    run_import(leader, csv_file(*changed), django_capture_on_commit_callbacks)
    assert TicketMetric.objects.get(ticket_id="T-0").csat == 2
    assert TicketMetric.objects.count() == 5


def test_a_ticket_repeated_in_one_file_is_reported_not_overwritten(
    leader, agents, django_capture_on_commit_callbacks
):
    ana, ben = agents[0], agents[1]
    job = run_import(
        leader,
        csv_file(
            f"T-1,{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,",
            f"T-2,{ben.email},2025-06-01T10:00:00Z,simple,420,300,3600,3,human,,",
            f"T-1,{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,5,human,,",
            f"T-1,{ben.email},2025-06-02T10:00:00Z,simple,10,10,10,1,human,,",
        ),
        django_capture_on_commit_callbacks,
    )
    assert (job.rows_seen, job.rows_created, job.rows_updated, job.rows_rejected) == (4, 2, 0, 2)
    assert TicketMetric.objects.get(ticket_id="T-1").csat == 4  # the first row stands
    reasons = dict(job.rejections.values_list("line_number", "reason"))
    expected = (
        "ticket_id: T-1 is repeated in this import (first at line 2); "
        "only the first row is imported"
    )
    assert reasons == {4: expected, 5: expected}
    assert job.rejections.get(line_number=4).ticket_id == "T-1"


def test_a_repeated_ticket_is_reported_across_batches(
    leader, agents, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    line = f"T-1,{agents[0].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
    other = f"T-2,{agents[0].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
    job = run_import(leader, csv_file(line, other, other, line), django_capture_on_commit_callbacks)
    assert (job.rows_created, job.rows_rejected) == (2, 2)
    assert sorted(job.rejections.values_list("line_number", flat=True)) == [4, 5]


def test_a_leader_cannot_overwrite_a_ticket_of_another_cohort(
    leader, agents, django_capture_on_commit_callbacks
):
    other = MembershipFactory(cohort=CohortFactory()).user
    TicketMetric.objects.create(
        ticket_id="T-9", agent=other, closed_at="2025-06-01T10:00:00Z", category="simple",
        handle_time_seconds=1, first_response_seconds=1, resolution_seconds=1,
        ai_usage="human", imported_at="2025-06-01T10:00:00Z",
    )  # fmt: skip
    job = run_import(
        leader,
        csv_file(f"T-9,{agents[0].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"),
        django_capture_on_commit_callbacks,
    )
    assert job.rows_rejected == 1
    assert "belongs to an agent outside your cohorts" in job.rejections.get().reason
    assert TicketMetric.objects.get(ticket_id="T-9").agent == other


def test_a_file_without_the_columns_fails_with_a_clear_message(
    leader, agents, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("x.csv", b"id,name\n1,2\n")
    job = run_import(leader, upload, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    assert "missing column(s): agent_email, closed_at" in job.error


def test_a_file_that_is_not_utf8_fails_with_a_clear_message(
    leader, agents, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("x.csv", (HEADER + "\n").encode() + b"T-1,\xff\xfe\n")
    job = run_import(leader, upload, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED and "not UTF-8" in job.error


def test_large_files_are_streamed_in_batches_with_progress(
    leader, agents, django_capture_on_commit_callbacks, monkeypatch
):
    row_by_row(monkeypatch)  # the batch path (SQLite's; PostgreSQL's COPY is tested below)
    monkeypatch.setattr(services, "BATCH_SIZE", 10)
    progress = []
    original = services._store_batch

    def spy(*, job, result, bytes_read=None):
        original(job=job, result=result, bytes_read=bytes_read)
        progress.append((job.rows_seen, job.bytes_read))

    monkeypatch.setattr(services, "_store_batch", spy)
    lines = [f"T-{i},{agents[i % 3].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
             for i in range(35)]  # fmt: skip
    job = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    assert [seen for seen, _ in progress] == [10, 20, 30, 35]
    assert [b for _, b in progress] == sorted(b for _, b in progress)
    assert job.rows_created == 35


def test_a_redelivered_task_for_a_finished_job_does_nothing(
    leader, agents, django_capture_on_commit_callbacks
):
    line = f"T-1,{agents[0].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
    job = run_import(leader, csv_file(line), django_capture_on_commit_callbacks)
    assert services.import_job_run(job_id=job.pk) is None


def test_the_upload_page_queues_the_import_and_shows_the_report(
    client, leader, good_and_bad, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("impact:import-create"), {"file": csv_file(*good_and_bad)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("impact:import-detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "no user with the email nobody@example.com" in page
    status = client.get(response["Location"] + "?format=json").json()
    assert status["finished"] and status["rows_rejected"] == 5 and status["percent"] == 100
    rejected = client.get(reverse("impact:import-rejections-csv", args=[job.pk]))
    assert rejected["Content-Type"].startswith("text/csv")
    assert rejected.content.decode().count("\n") == 6  # header + 5 rejected rows


def test_the_upload_form_refuses_other_files(client, leader):
    client.force_login(leader)
    upload = SimpleUploadedFile("export.xlsx", b"PK...")
    response = client.post(reverse("impact:import-create"), {"file": upload})
    assert response.status_code == 400
    assert "Upload a .csv file" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("content", "expected", "wrong"), [
    (HEADER.encode() + b"\nT-1,\xff\xfe\n", "the import stopped before any row was rejected",
     "every row was imported"),
    (b"id,name\n1,2\n", "the import stopped before any row was rejected",
     "every row was imported"),
    ((HEADER + "\n").encode(), "the file has a header but no ticket rows",
     "every row was imported"),
])  # fmt: skip
def test_the_report_of_a_failed_or_empty_import_does_not_claim_every_row_was_imported(
    client, leader, agents, django_capture_on_commit_callbacks, content, expected, wrong
):
    job = run_import(
        leader, SimpleUploadedFile("x.csv", content), django_capture_on_commit_callbacks
    )
    client.force_login(leader)
    page = client.get(reverse("impact:import-detail", args=[job.pk])).content.decode()
    assert expected in page
    assert wrong not in page


@pytest.mark.parametrize(
    "content",
    [b"id,name\n1,2\n", HEADER.encode() + b"\nT-1,\xff\xfe\n", b""],
)
def test_a_failed_import_removes_the_uploaded_file(
    leader, agents, django_capture_on_commit_callbacks, content
):
    job = run_import(
        leader, SimpleUploadedFile("x.csv", content), django_capture_on_commit_callbacks
    )
    assert job.status == ImportJob.Status.FAILED
    assert job.file.name
    assert not job.file.storage.exists(job.file.name)


def test_a_finished_import_removes_the_uploaded_file_too(
    leader, agents, django_capture_on_commit_callbacks
):
    line = f"T-1,{agents[0].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
    job = run_import(leader, csv_file(line), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE
    assert not job.file.storage.exists(job.file.name)


def test_a_job_that_cannot_be_saved_leaves_no_file(leader, monkeypatch):
    saved = []
    storage = ImportJob._meta.get_field("file").storage
    original = storage.save

    def spy(name, content, *args, **kwargs):
        stored = original(name, content, *args, **kwargs)
        saved.append(stored)
        return stored

    monkeypatch.setattr(storage, "save", spy)
    monkeypatch.setattr(ImportJob, "save", lambda *a, **k: (_ for _ in ()).throw(RuntimeError))
    with pytest.raises(RuntimeError):
        services.import_job_create(user=leader, upload=csv_file())
    assert saved and not storage.exists(saved[0])


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(client, leader, settings):
    settings.IMPACT_UPLOAD_MAX_BYTES = 1000
    client.force_login(leader)
    upload = SimpleUploadedFile("export.csv", (HEADER + "\n").encode() + b"x" * 2000)
    response = client.post(reverse("impact:import-create"), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is 2.1" in page
    assert "the limit is 1 KB (IMPACT_UPLOAD_MAX_BYTES)" in page
    assert "IMPACT_UPLOAD_MAX_BYTES" in page
    assert not ImportJob.objects.exists()


def test_an_upload_far_over_the_limit_is_refused_before_it_is_received(client, leader, settings):
    settings.IMPACT_UPLOAD_MAX_BYTES = 1000
    client.force_login(leader)
    upload = SimpleUploadedFile("export.csv", b"x" * 200_000)
    response = client.post(reverse("impact:import-create"), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "the limit is 1 KB (IMPACT_UPLOAD_MAX_BYTES)" in page
    assert not ImportJob.objects.exists()


# ---- the same report on both paths ---------------------------------------------------------


def _report(job) -> tuple:
    job.refresh_from_db()
    return (
        (job.status, job.rows_seen, job.rows_created, job.rows_updated, job.rows_rejected),
        list(job.rejections.order_by("line_number").values_list(
            "line_number", "ticket_id", "reason", "raw"
        )),
        sorted(TicketMetric.objects.values_list(
            "ticket_id", "agent_id", "closed_at", "category", "handle_time_seconds",
            "first_response_seconds", "resolution_seconds", "csat", "ai_usage",
            "draft_edit_ratio", "draft_to_send_seconds",
        )),
    )  # fmt: skip


def _every_kind_of_bad_row(agents) -> list[str]:
    ana, ben, _ = agents
    outsider = UserFactory()
    other = MembershipFactory(cohort=CohortFactory()).user
    TicketMetric.objects.create(
        ticket_id="T-OTHER", agent=other, closed_at="2025-06-01T10:00:00Z", category="simple",
        handle_time_seconds=1, first_response_seconds=1, resolution_seconds=1,
        ai_usage="human", imported_at="2025-06-01T10:00:00Z",
    )  # fmt: skip
    good = "2025-06-01T10:00:00Z,simple,420,300,3600,5,ai_assisted,0.35,95"
    return [
        f"T-1,{ana.email},{good}",
        f"T-2,{ben.email.upper()},2025-06-01 11:00,complex,1:30,10:00,2:00:00,,full_ai,35%,20",
        f"T-3,{ana.email},2025-06-02T09:00:00Z,escalation,1500,200,9000,3,human,0.5,40",
        f"T-4,nobody@example.com,{good}",
        f"T-5,{ana.email},not-a-date,simple,420,300,3600,5,human,,",
        f"T-6,{ana.email},2025-06-02T09:00:00Z,simple,420,300,3600,9,human,,",
        f"T-7,{outsider.email},{good}",
        "T-8,too,few,fields",
        "",
        f"T-OTHER,{ana.email},{good}",
        f"T-1,{ana.email},{good}",
        f",{ana.email},{good}",
        f"T-9,not-an-email,{good}",
        f"T-10,{ana.email},2025-06-01T10:00:00Z,weird,420,300,3600,5,human,,",
        f"T-11,{ana.email},2025-06-01T10:00:00Z,simple,-4,300,3600,5,human,,",
        f"T-12,{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,5,robot,,",
        f"T-13,{ana.email},2025-06-01T10:00:00Z,simple,420,300,3600,5,ai,1.5,3",
        f"T-14,{ana.email},2099-06-01T10:00:00Z,simple,420,300,3600,5,human,,",
        f"{'X' * 70},{ana.email},{good}",
        f"T-5,{ana.email},{good}",  # its first row was malformed: this one is the first good
    ]


@pytest.mark.postgres
def test_copy_and_row_by_row_give_the_same_report(
    postgres_db, leader, agents, django_capture_on_commit_callbacks, monkeypatch
):
    lines = _every_kind_of_bad_row(agents)
    # PostgreSQL: COPY into the staging table and one set-based upsert.
    copied = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    bulk_report = _report(copied)
    TicketMetric.objects.exclude(ticket_id="T-OTHER").delete()
    # The row-by-row path on the same database and file.
    with monkeypatch.context() as patched:
        row_by_row(patched)
        batched = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
        batch_report = _report(batched)
    assert bulk_report == batch_report
    counts, rejections, _tickets = bulk_report
    assert counts == (ImportJob.Status.DONE, 19, 4, 0, 15)
    assert {line for line, *_ in rejections} == {
        5,
        6,
        7,
        8,
        9,
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        20,
    }


@pytest.mark.postgres
def test_copy_import_records_progress_between_chunks_and_reimports_as_updates(
    postgres_db, leader, agents, django_capture_on_commit_callbacks, monkeypatch
):
    from reporting.impact import bulk

    monkeypatch.setattr(bulk, "COPY_CHUNK", 10)
    progress = []
    original = bulk.ImportJob.objects.filter

    def spy(*args, **kwargs):
        queryset = original(*args, **kwargs)
        progress.append(kwargs)
        return queryset

    lines = [f"T-{i},{agents[i % 3].email},2025-06-01T10:00:00Z,simple,420,300,3600,4,human,,"
             for i in range(35)]  # fmt: skip
    monkeypatch.setattr(bulk.ImportJob.objects, "filter", spy)
    job = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    monkeypatch.undo()
    assert len(progress) >= 4  # three chunk boundaries, then the counts
    assert (job.rows_seen, job.rows_created, job.rows_updated) == (35, 35, 0)
    again = run_import(leader, csv_file(*lines), django_capture_on_commit_callbacks)
    assert (again.rows_created, again.rows_updated, again.rows_rejected) == (0, 35, 0)
    assert TicketMetric.objects.count() == 35

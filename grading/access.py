"""Access rules of grading's own models (rubrics, grading jobs, grades, flags); peer review
and the trainer console keep theirs beside their models (`grading/peer/access.py`,
`grading/console/access.py`). All three are registered into `curriculum.access` by
`GradingConfig.ready()`."""

from curriculum import access


def _job_view(user, job) -> bool:
    return access.trains_user(user, job.submission.user)


def _grade_view(user, grade) -> bool:
    """Trainers of the author's cohort (and staff); the author once the grade is released
    (a cohort may hold grades until a trainer releases them)."""
    author_id = grade.submission.user_id
    if author_id == user.pk:
        from .console.grades import released_submission_ids

        return grade.submission_id in released_submission_ids(
            submissions=[(grade.submission_id, author_id)]
        )
    return access.trains_user(user, grade.submission.user)


def _criterion_score_view(user, score) -> bool:
    return _grade_view(user, score.grade)


def _flag_view(user, flag) -> bool:
    """Flags are the trainer's queue: trainers of the agent concerned, and staff."""
    subject = flag.reviewer if flag.submission_id is None else flag.submission.user
    return access.trains_user(user, subject)


def register_rules() -> None:
    content = {"view": access.published_content, "change": access.content_change}
    for label in ("grading.Rubric", "grading.RubricVersion", "grading.Criterion", "grading.Level"):
        access.register(label, **content)
    # Trainer-graded examples are course content: every signed-in user may calibrate on them.
    access.register("grading.ExampleSubmission", **content)
    # Jobs, grades and their scores are written by the grading pipeline, never by a person.
    access.register("grading.GradingJob", view=_job_view, change=access.never)
    access.register("grading.Grade", view=_grade_view, change=access.never)
    access.register("grading.CriterionScore", view=_criterion_score_view, change=access.never)
    access.register("grading.Flag", view=_flag_view, change=_flag_view)
    # The LLM's cached answers are the pipeline's own: nobody reads them through a page.
    access.register("grading.LLMResponseCache", view=access.never, change=access.never)

    from .calibration import access as calibration_access
    from .console import access as console_access
    from .peer import access as peer_access

    console_access.register_rules()
    peer_access.register_rules()
    calibration_access.register_rules()

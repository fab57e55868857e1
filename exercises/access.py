"""Access rules of the exercises models, registered into `curriculum.access` by
`ExercisesConfig.ready()`."""

from curriculum import access

from .prompt_library import access as prompt_library_access


def _workspace_owner(user, workspace) -> bool:
    """Work in progress is the agent's own: not even trainers open it, and an account that
    is no longer an agent (made a trainer or support leader) cannot change it."""
    return workspace.user_id == user.pk and access.is_agent(user)


def _draft_request_owner(user, draft_request) -> bool:
    return draft_request.workspace.user_id == user.pk and access.is_agent(user)


def _submission_view(user, submission) -> bool:
    """The author, trainers of a cohort the author belongs to, and staff."""
    return access.user_view(user, submission.user)


def _assignment_view(user, assignment) -> bool:
    return access.cohort_view(user, assignment.cohort)


def _assignment_change(user, assignment) -> bool:
    return access.cohort_change(user, assignment.cohort)


def register_rules() -> None:
    content = {"view": access.published_content, "change": access.content_change}
    for label in (
        "exercises.CompanyProfile",
        "exercises.KnowledgeFact",
        "exercises.Scenario",
        "exercises.ScenarioVersion",
        "exercises.ExerciseScenario",
    ):
        access.register(label, **content)
    access.register("exercises.Workspace", view=_workspace_owner, change=_workspace_owner)
    access.register(
        "exercises.DraftRequest", view=_draft_request_owner, change=_draft_request_owner
    )
    # Submissions are immutable: a revision is a new attempt, never a change.
    access.register("exercises.Submission", view=_submission_view, change=access.never)
    access.register("exercises.Assignment", view=_assignment_view, change=_assignment_change)
    prompt_library_access.register_rules()

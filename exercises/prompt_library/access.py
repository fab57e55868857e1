"""Access rules of the prompt-template library, registered by `ExercisesConfig.ready()`.

The library is the team's: every agent and trainer reads the approved templates; trainers
write and approve; a proposal is visible to its author and to trainers."""

from curriculum import access


def _library_member(user, obj=None) -> bool:
    return access.is_agent(user) or access.is_trainer(user)


def _template_view(user, template) -> bool:
    return _library_member(user)


def _version_view(user, version) -> bool:
    if access.is_trainer(user):
        return True
    if version.status == version.Status.APPROVED:
        return access.is_agent(user)
    return version.author_id == user.pk and access.is_agent(user)


def _trainer_change(user, obj) -> bool:
    return access.is_trainer(user)


def _use_view(user, use) -> bool:
    """The agent who inserted it, trainers of their cohorts, and staff."""
    return access.user_view(user, use.user)


def register_rules() -> None:
    access.register("exercises.PromptTemplate", view=_template_view, change=_trainer_change)
    access.register("exercises.PromptTemplateVersion", view=_version_view, change=_trainer_change)
    # A use is a record of what happened: never changed.
    access.register("exercises.PromptTemplateUse", view=_use_view, change=access.never)

"""Access rules of the authoring models, registered into `curriculum.access` by
`AuthoringConfig.ready()`: authoring is trainers' work (staff are trainers)."""

from curriculum import access


def _trainer(user, obj) -> bool:
    return access.is_trainer(user)


def register_rules() -> None:
    access.register("authoring.ScenarioDraft", view=_trainer, change=_trainer)
    # The edit log is a record: read by trainers, written only by the rubric service.
    access.register("authoring.RubricChange", view=_trainer, change=access.never)
    access.register("authoring.RegradeMark", view=_trainer, change=_trainer)

"""Access rules of the studio's models, registered into `curriculum.access` by
`StudioConfig.ready()`: drafts are trainers' work (staff included), never agents'."""

from curriculum import access


def _trainer(user, obj) -> bool:
    return access.is_trainer(user)


def register_rules() -> None:
    access.register("studio.DraftFact", view=_trainer, change=_trainer)

"""Signals of the exercises app: where grading (above) takes part without being imported.

Receivers are connected in the higher app's AppConfig.ready(); see curriculum.signals.
"""

from django.dispatch import Signal

# Sent after a submission's transaction commits, with submission_id=: grading connects the
# start of automatic grading. Without a receiver the submission simply stands ungraded.
submission_committed = Signal()

# Sent when a draft request runs and a language model is configured, with scenario_data=,
# prompt=, variant= and facts=. A receiver answers with the generated draft (an object with
# text, model, prompt_tokens and completion_tokens) or None; it raises
# exercises.errors.DraftGenerationError for a failure the agent should see. When no receiver
# answers, the scenario's authored draft is used, as without a model.
draft_requested = Signal()

# Sent by the submission page with submission= and viewer=: each receiver answers with a
# curriculum.signals.PageSection (grading: the grade and the peer reviews) or None.
submission_page_sections = Signal()

# Sent by the pages that list an agent's submissions (My submissions, the scenario lists)
# with submission_ids=: a receiver answers with {submission id: score in percent} for the
# grades the agent may see (grading: released final grades). Without one, no scores show.
submission_scores = Signal()

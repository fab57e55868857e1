from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "reporting.impact"
    label = "impact"
    verbose_name = "Support-floor impact"

    def ready(self) -> None:
        from curriculum.admin_permissions import connect_trainer_admin_permissions
        from curriculum.signals import cohort_page_links

        from . import access, receivers, signals  # noqa: F401 - signals: the login receiver

        access.register_rules()
        cohort_page_links.connect(receivers.cohort_page_impact_links, dispatch_uid="impact.links")
        # API tokens are the support leaders' and the operators' business.
        connect_trainer_admin_permissions(self, editable=("cohortimpact",), hidden=("apitoken",))

"""factory-boy factories for every model, kept in one place."""

import factory
from django.contrib.auth.models import Group

from curriculum.models import TRAINERS_GROUP, Cohort, Membership, User

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class TrainerFactory(UserFactory):
    email = factory.Sequence(lambda n: f"trainer{n}@example.com")

    @factory.post_generation
    def trainer_group(obj, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
            obj.groups.add(group)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")

    @factory.post_generation
    def trainers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.trainers.add(*extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)

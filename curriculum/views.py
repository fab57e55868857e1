"""Landing page and the role homes."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render

from . import selectors
from .access import is_trainer, trainer_required


@login_not_required
def landing(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "curriculum/landing.html")


def home(request):
    """Send each user to the home of their role."""
    return redirect("trainer-home" if is_trainer(request.user) else "agent-home")


@trainer_required
def trainer_home(request):
    cohorts = selectors.cohort_list_for_trainer(user=request.user)
    return render(request, "curriculum/trainer_home.html", {"cohorts": cohorts})


def module_list(request):
    return render(request, "curriculum/module_list.html", {"modules": selectors.module_list()})


def module_detail(request, slug):
    module = selectors.module_get(slug=slug)
    return render(request, "curriculum/module_detail.html", {"module": module})


def lesson_detail(request, module_slug, slug):
    lesson = selectors.lesson_get(module_slug=module_slug, slug=slug)
    siblings = list(lesson.module.lessons.filter(retired_at__isnull=True).only("slug", "title"))
    index = next(i for i, item in enumerate(siblings) if item.pk == lesson.pk)
    context = {
        "lesson": lesson,
        "module": lesson.module,
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
    }
    return render(request, "curriculum/lesson_detail.html", context)

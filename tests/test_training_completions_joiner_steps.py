"""A joiner's training and acknowledgement steps are completed only by what happened on or after the day their
workflow opened: a rehire's completion or acknowledgement from an earlier employment leaves the new step open
(the program completes it by hand if it truly counts)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, Completion, CourseKind
from safeguard.training.services import completions as services
from safeguard.training.services.acknowledgements import acknowledgement_record
from safeguard.workforce.models import Workflow, WorkflowTask
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_risk_sanctions_support import approved
from tests.test_training_completions_support import actor, moment
from tests.test_workflows_support import TaskKind, joiner, task_of

NOW = moment("2026-03-10 12:00")
EMAIL_LINK = Acknowledgement.Method.EMAIL_LINK


@pytest.fixture(autouse=True)
def no_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "request_sync", lambda organization: None)


def opened_on(workflow: Workflow, at: datetime) -> Workflow:
    Workflow.objects.filter(pk=workflow.pk).update(opened_at=at)
    workflow.refresh_from_db()
    return workflow


def complete_initial(cast: Cast, workflow: Workflow, at: datetime) -> Completion:
    course = make.course(cast.org, f"INIT-{Completion.objects.count()}", kind=CourseKind.INITIAL)
    return services.completion_record(
        organization=cast.org,
        actor=actor(cast.official),
        person=workflow.person,
        course=course,
        completed_at=at,
        source=Completion.Source.IMPORT,
        now=NOW,
    )


def test_an_initial_completion_from_before_the_workflow_opened_leaves_the_training_step_open(cast: Cast) -> None:
    workflow = opened_on(joiner(cast, "E-100"), moment("2026-03-02 09:00"))

    complete_initial(cast, workflow, moment("2019-05-14 10:00"))
    complete_initial(cast, workflow, moment("2026-03-01 23:59"))  # the evening before

    step = task_of(workflow, TaskKind.TRAINING)
    assert (step.status, step.effective_at) == (WorkflowTask.Status.OPEN, None)


def test_an_initial_completion_on_the_day_the_workflow_opened_completes_the_step(cast: Cast) -> None:
    workflow = opened_on(joiner(cast, "E-100"), moment("2026-03-02 15:00"))

    complete_initial(cast, workflow, moment("2026-03-02 08:30"))  # that morning, before the roster import

    step = task_of(workflow, TaskKind.TRAINING)
    assert (step.status, step.effective_at) == (WorkflowTask.Status.DONE, moment("2026-03-02 08:30"))


def test_an_old_completion_leaves_the_step_open_but_a_new_one_completes_it(cast: Cast) -> None:
    workflow = opened_on(joiner(cast, "E-100"), moment("2026-03-02 09:00"))
    complete_initial(cast, workflow, moment("2019-05-14 10:00"))
    assert task_of(workflow, TaskKind.TRAINING).status == WorkflowTask.Status.OPEN

    complete_initial(cast, workflow, moment("2026-03-05 10:00"))

    assert task_of(workflow, TaskKind.TRAINING).effective_at == moment("2026-03-05 10:00")


def sanction_version(cast: Cast) -> AckDocumentVersion:
    approved(cast)
    return AckDocumentVersion.objects.get(document__kind=AckDocument.Kind.SANCTION_POLICY)


def test_an_acknowledgement_from_before_the_workflow_opened_leaves_the_step_open(cast: Cast) -> None:
    workflow = joiner(cast, "E-100")
    version = sanction_version(cast)
    opened_on(workflow, timezone.now() + timedelta(days=1))  # the workflow of a later rehire, say

    acknowledgement_record(
        organization=cast.org,
        actor=actor(None),
        version=version,
        person=workflow.person,
        method=Acknowledgement.Method.EMAIL_LINK,
    )

    assert task_of(workflow, TaskKind.ACK_SANCTION).status == WorkflowTask.Status.OPEN


def test_an_acknowledgement_the_day_the_workflow_opened_completes_the_step(cast: Cast) -> None:
    workflow = joiner(cast, "E-100")
    version = sanction_version(cast)

    acknowledgement_record(
        organization=cast.org,
        actor=actor(None),
        version=version,
        person=workflow.person,
        method=Acknowledgement.Method.EMAIL_LINK,
    )

    assert task_of(workflow, TaskKind.ACK_SANCTION).status == WorkflowTask.Status.DONE

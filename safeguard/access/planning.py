"""The access app's steps in joiner, mover and leaver workflows (see workforce/planning.py).

- joiner: a clearance task when a matching role profile requires one (else marked not needed), then one
  provisioning task per system of the profile, listing its roles;
- mover: one task per system whose allowed roles change, listing what to add and what to remove;
- leaver: one deprovisioning task per enabled account the person holds in each system's latest snapshot, due
  the leaver target after the termination time. Accounts found later (a list imported after the workflow
  opened, an account assigned by hand) are added by services/leavers.py.
"""

from __future__ import annotations

from datetime import timedelta

from safeguard.access.models import ProfileGrant
from safeguard.access.queries import ProfileBook, accounts_held, latest_snapshot_ids
from safeguard.access.services.leavers import deprovision_due, deprovision_spec
from safeguard.workforce.models import Workflow, WorkflowTask
from safeguard.workforce.planning import TaskSpec, batch_cached, task_planner
from safeguard.workforce.queries import workforce_settings

Kind = Workflow.Kind
TaskKind = WorkflowTask.Kind


def _roles(grants: list[ProfileGrant]) -> str:
    return ", ".join(sorted({grant.role + (" (privileged)" if grant.privileged else "") for grant in grants}))


@task_planner
def access_steps(workflow: Workflow) -> list[TaskSpec]:
    person, organization = workflow.person, workflow.organization
    if workflow.kind == Kind.LEAVER:
        snapshot_ids = batch_cached(
            organization.pk, "access.latest_snapshots", lambda: list(latest_snapshot_ids(organization).values())
        )
        due = deprovision_due(workflow)
        return [
            deprovision_spec(account.system, account.username, account.roles, due)
            for account in accounts_held(person, snapshot_ids=snapshot_ids)
        ]
    book = batch_cached(organization.pk, "access.profile_book", lambda: ProfileBook(organization))
    settings = batch_cached(organization.pk, "workforce.settings", lambda: workforce_settings(organization))
    if workflow.kind == Kind.JOINER:
        due = workflow.opened_at + timedelta(days=settings.joiner_due_days)
        specs = []
        if book.requires_clearance(person.department, person.job_role):
            specs.append(
                TaskSpec(
                    TaskKind.CLEARANCE,
                    f"Record {person.full_name}'s clearance (background check)",
                    "The role profile requires a clearance result before the first access to ePHI.",
                    due_at=due,
                )
            )
        grants = book.grants_for(person.department, person.job_role)
        for grants_on_system in sorted(grants.values(), key=lambda found: found[0].system.asset.name):
            system = grants_on_system[0].system
            specs.append(
                TaskSpec(
                    TaskKind.PROVISION,
                    f"Provision {system.asset.name} access for {person.full_name}",
                    f"Roles the profile allows: {_roles(grants_on_system)}.",
                    subject_key=f"system:{system.pk}",
                    due_at=due,
                )
            )
        return specs
    # A mover: compare what the old and the new job allow, system by system.
    before = {name: values[0] for name, values in workflow.changes.items()}
    old = book.grants_for(
        before.get("department", person.department) or "", before.get("job_role", person.job_role) or ""
    )
    new = book.grants_for(person.department, person.job_role)
    due = workflow.opened_at + timedelta(days=settings.mover_due_days)
    specs = []
    for system_id in sorted(set(old) | set(new)):
        old_roles = {grant.role for grant in old.get(system_id, [])}
        new_roles = {grant.role for grant in new.get(system_id, [])}
        if old_roles == new_roles:
            continue
        system = (new.get(system_id) or old[system_id])[0].system
        add, remove = sorted(new_roles - old_roles), sorted(old_roles - new_roles)
        parts = [f"add {', '.join(add)}" if add else "", f"remove {', '.join(remove)}" if remove else ""]
        specs.append(
            TaskSpec(
                TaskKind.CHANGE_ACCESS,
                f"Change {system.asset.name} access for {person.full_name}",
                "To match the new role: " + "; ".join(part for part in parts if part) + ".",
                subject_key=f"system:{system_id}",
                due_at=due,
            )
        )
    return specs

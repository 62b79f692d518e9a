"""What the risk app tells other apps, sent explicitly by its services (never from model saves).

`sanction_policy_approved` is sent inside the approving transaction (kwargs: organization, policy, actor): the
training app publishes the approved text for the workforce to acknowledge.

`sanction_recorded` is sent when a sanction is recorded or changed (kwargs: organization, sanction): the training
app re-evaluates its assignment rules (remedial training for people named in a sanction). Receivers get ids and
must not copy the sanction's details anywhere.
"""

from django.dispatch import Signal

sanction_policy_approved = Signal()
sanction_recorded = Signal()

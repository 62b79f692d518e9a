"""What the risk app tells other apps, sent explicitly by its services (never from model saves).

`sanction_policy_approved` is sent inside the approving transaction (kwargs: organization, policy, actor): the
training app publishes the approved text for the workforce to acknowledge.
"""

from django.dispatch import Signal

sanction_policy_approved = Signal()

"""What the workforce app tells other apps, sent explicitly by its services (never from model saves).

`roster_changed` is sent inside the transaction that changed a person (kwargs: organization, person, change):
receivers must only schedule work for after the commit (e.g. with core.transactions.on_commit_once), since a
roster file sends it once per row.
"""

from django.dispatch import Signal

roster_changed = Signal()

"""Training's tracker checks, one module per requirement they judge; importing this module registers them all.

- checks_workforce.py: 164.308(a)(5), the workforce trained on time and nobody with ePHI access untrained;
- checks_reminders.py: 164.308(a)(5)(ii)(A), security reminders by cadence, with the read rate;
- checks_topics.py: 164.308(a)(5)(ii)(B), (C) and (D), the curriculum covers the topic and people completed it
  (and, for passwords, the MFA coverage of the accounts);
- checks_acks.py: 164.308(a)(1)(ii)(C), the approved sanction policy acknowledged by the workforce.
"""

from safeguard.training import checks_acks, checks_reminders, checks_topics, checks_workforce  # noqa: F401

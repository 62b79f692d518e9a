"""Every write the core makes: one keyword-only function per change, audited in the same transaction."""

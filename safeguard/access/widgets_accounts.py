"""Dashboard widgets about accounts: MFA coverage per system."""

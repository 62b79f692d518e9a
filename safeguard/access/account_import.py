"""The account-list importer (per-system snapshots, matched to people); registered with the core pipeline."""

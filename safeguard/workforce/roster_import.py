"""The roster importer (HR export → people, with a change preview); registered with the core pipeline."""

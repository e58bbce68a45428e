"""The core: identities, signed events, ordering and errors. No I/O, no imports from outer layers."""

"""The core: identities, signed events, ordering and errors.

No I/O, and no imports from outer layers.
"""

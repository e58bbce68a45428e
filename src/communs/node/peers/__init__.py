"""Peers and replication: what a peer lacks and moving it in causal batches (``sync``),
serving peers (``serving``), pulls, pushes and background rounds (``replication``), live
streams (``propagation``), the files that go with pushed events (``offers``), the admission
policy, reading what peers send before it is verified (``wire``), and finding nodes on the
LAN (``discovery``).

May import the core, the domain, the store, the write path, the home and files.
"""

"""Files and the swarm: content-addressed blobs on disk, which files a commons shows and
fetching them within policy and quota, the BitTorrent swarm and its torrents, what a file
says about itself (``metadata``), detached erasable texts (``content``), and the Service's
file operations (``fileops``).

May import the core, the domain, the store, the write path and the home (a home holds its
files, and files know the home they are in).
"""

"""The node: the one write path, the home on disk, blobs, and the actions people take."""

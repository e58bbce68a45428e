"""The web face: server-rendered pages for people, each with a JSON twin for programs."""

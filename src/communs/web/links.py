"""Where things live in the web app: the page of a thread's subject, of what an event is
about."""

from urllib.parse import quote


def subject_url(commons: str, kind: str, ref: str) -> str:
    """The page of a thread's subject."""
    if kind == "task":
        return f"/c/{commons}/tasks/{ref}"
    if kind == "contribution":
        return f"/c/{commons}/contributions/{ref}"
    if kind == "artifact":
        return f"/c/{commons}/files/{quote(ref)}"
    if kind == "proposal":
        return f"/c/{commons}/proposals/{ref}"
    if kind == "person":
        return f"/people/{ref}"
    return f"/c/{commons}"


def object_url(commons: str, about: dict[str, str]) -> str:
    """The page of what an event is about (``reads.describe.about``); a message, its place
    in its thread."""
    url = subject_url(commons, about["kind"], about["ref"])
    return url + (f"#m-{about['message']}" if "message" in about else "")

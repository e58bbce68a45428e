"""Refusals the node makes before any event (a mistyped id, a file that is not there), as
codes with their English sentence, so that every face says them in its reader's language."""

from ...core.errors import BadInput, NotFound
from ...domain.refusals import code, fault

NOT_AN_ID = code("not_an_id", "'{ref}' is not an id: ids are hexadecimal (a unique prefix will do)")
NO_FILE_HERE = code(
    "no_file_here", "there is no file {path} in this commons; 'communs artifact list' shows them"
)


def not_an_id(ref: str) -> BadInput:
    return fault(BadInput, NOT_AN_ID, ref=ref)


def no_file_here(path: str) -> NotFound:
    return fault(NotFound, NO_FILE_HERE, path=path)

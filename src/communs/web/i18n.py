"""English and French. English strings are the keys; a missing French string shows in English.

The language comes from the ``lang`` cookie (the switch in the page header), else from the
browser's Accept-Language.
"""

from collections.abc import Callable
from typing import Any

LANGUAGES = ("en", "fr")

FRENCH = {
    "Commons": "Communs",
    "Home": "Accueil",
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "Register": "Créer un compte",
    "Name": "Nom",
    "Passphrase": "Phrase secrète",
    "Activity": "Activité",
    "Contributions": "Contributions",
    "Files": "Fichiers",
    "Board": "Tableau",
    "People": "Personnes",
    "Discussion": "Discussion",
    "Maintainers": "Mainteneurs",
    "Licence": "Licence",
    "Forks": "Bifurcations",
    "Forked from": "Bifurqué depuis",
    "Fork this commons": "Bifurquer ce commun",
    "Name of the fork": "Nom de la bifurcation",
    "The commons this node follows": "Les communs que suit ce nœud",
    "What changed since your last visit": "Ce qui a changé depuis votre dernière visite",
    "Notifications": "Notifications",
    "No notification.": "Aucune notification.",
    "Nothing new.": "Rien de nouveau.",
    "events": "événements",
    "open contributions": "contributions ouvertes",
    "review-first": "relecture d'abord",
    "publish-first": "publication d'abord",
    "threshold": "seuil",
    "Review queue": "File de relecture",
    "Propose a contribution": "Proposer une contribution",
    "Title": "Titre",
    "Description": "Description",
    "Propose": "Proposer",
    "Accept": "Accepter",
    "Reject": "Rejeter",
    "Revert": "Annuler",
    "Withdraw": "Retirer",
    "Patrol": "Marquer relu",
    "Reason": "Raison",
    "Comment": "Commentaire",
    "Approve": "Approuver",
    "Request changes": "Demander des changements",
    "Reviews": "Relectures",
    "History": "Historique",
    "Edit in the browser": "Modifier dans le navigateur",
    "Upload files": "Téléverser des fichiers",
    "Path": "Chemin",
    "ineffective": "sans effet",
    "Everyone": "Tout le monde",
    "All types": "Tous les types",
    "Filter": "Filtrer",
    "Reply": "Répondre",
    "Post": "Publier",
    "Hide": "Masquer",
    "Retract": "Retirer",
    "hidden by": "masqué par",
    "retracted": "retiré",
    "Tasks": "Tâches",
    "Open a task": "Ouvrir une tâche",
    "Claim": "Prendre",
    "Release": "Libérer",
    "Extend": "Prolonger",
    "Done": "Fait",
    "Validate": "Valider",
    "Invalidate": "Invalider",
    "Reopen": "Rouvrir",
    "heat": "chaleur",
    "needed": "nécessaire",
    "urgent": "urgent",
    "good first task": "bonne première tâche",
    "open": "ouverte",
    "accepted": "acceptée",
    "rejected": "rejetée",
    "withdrawn": "retirée",
    "reverted": "annulée",
    "published": "publiée",
    "conflict": "conflit",
    "claimed": "prise",
    "done": "faite",
    "validated": "validée",
    "invalidated": "invalidée",
    "Language": "Langue",
    "signed in as": "connecté·e comme",
    "Act as": "Agir comme",
    "This node": "Ce nœud",
    "Something went wrong": "Quelque chose s'est mal passé",
    "Back": "Retour",
    "Export my key": "Exporter ma clé",
    "live": "en direct",
}


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def translator(lang: str) -> Callable[..., str]:
    table = FRENCH if lang == "fr" else {}

    def gettext(text: str, **values: Any) -> str:
        translated = table.get(text, text)
        return translated.format(**values) if values else translated

    return gettext

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
    "Older events": "Événements plus anciens",
    "The {n} that waited longest are shown.": "Les {n} qui attendent depuis le plus longtemps.",
    "…and {n} more contributions waiting for review:": (
        "…et {n} autres contributions attendent une relecture :"
    ),
    # files (web/files.py)
    "Size": "Taille",
    "Media type": "Type de média",
    "Last changed by": "Dernière modification par",
    "through": "via",
    "Download": "Télécharger",
    "accept": "acceptation",
    "publish": "publication",
    "revert": "annulation",
    "deleted": "supprimé",
    "When": "Quand",
    "Who": "Qui",
    "Action": "Action",
    "Contribution": "Contribution",
    "Version": "Version",
    "See the full picture": "Voir l'image entière",
    "Your browser cannot play this file:": "Votre navigateur ne peut pas lire ce fichier :",
    "This kind of file is not shown in the browser.": (
        "Ce type de fichier n'est pas affiché dans le navigateur."
    ),
    "Only the first {limit} of this file are shown: download it to read the rest.": (
        "Seuls les premiers {limit} de ce fichier sont affichés : "
        "téléchargez-le pour lire la suite."
    ),
    "The content of this file is not on this node yet: it comes with the next sync "
    "from a peer that has it.": (
        "Le contenu de ce fichier n'est pas encore sur ce nœud : il arrivera à la prochaine "
        "synchronisation avec un pair qui l'a."
    ),
    # Contributions: the review queue, a contribution, proposing and revising.
    "just now": "à l'instant",
    "{n} min ago": "il y a {n} min",
    "{n} h ago": "il y a {n} h",
    "{n} d ago": "il y a {n} j",
    "to patrol": "à relire",
    "base moved": "base modifiée",
    "revision": "révision",
    "Revision": "Révision",
    "Revisions": "Révisions",
    "{n} of {m} accepts": "{n} acceptation(s) sur {m}",
    "Accepts": "Acceptations",
    "lines {a}–{b}": "lignes {a} à {b}",
    "Before": "Avant",
    "After": "Après",
    "new file": "nouveau fichier",
    "added": "ajouté",
    "modified": "modifié",
    "Too large to compare in the page (over 1 MiB).": (
        "Trop grand pour être comparé dans la page (plus de 1 Mio)."
    ),
    "This file is not on this node yet.": "Ce fichier n'est pas encore sur ce nœud.",
    "Only line endings or the final newline changed.": (
        "Seules les fins de ligne ou la dernière fin de ligne ont changé."
    ),
    "No line changed.": "Aucune ligne n'a changé.",
    "Type": "Type",
    "Author": "Auteur·rice",
    "Decided by": "Décidé par",
    "Patrolled by": "Relu par",
    "From the fork": "Depuis la bifurcation",
    "The canonical version moved since this was proposed:": (
        "La version canonique a changé depuis cette proposition :"
    ),
    "Accepting merges the changes if they merge cleanly; otherwise a new revision is needed.": (
        "Accepter fusionne les modifications si elles se fusionnent proprement ; "
        "sinon une nouvelle révision est nécessaire."
    ),
    "Revise": "Réviser",
    "Changes": "Modifications",
    "approved": "a approuvé",
    "requested changes": "a demandé des changements",
    "commented": "a commenté",
    "No review yet.": "Pas encore de relecture.",
    "Sign in to review": "Connectez-vous pour relire",
    "change(s)": "modification(s)",
    "Review-first: a contribution becomes canonical when {n} maintainer(s) accept it.": (
        "Relecture d'abord : une contribution devient canonique quand {n} mainteneur(s) "
        "l'acceptent."
    ),
    "Publish-first: contributions are canonical at once; maintainers patrol or revert them.": (
        "Publication d'abord : les contributions sont canoniques tout de suite ; "
        "les mainteneurs les relisent ou les annulent."
    ),
    "Waiting for review": "En attente de relecture",
    "Nothing waits for review.": "Rien n'attend de relecture.",
    "A new revision replaces the changes of the current one; reviews so far were about "
    "the earlier revision.": (
        "Une nouvelle révision remplace les modifications de l'actuelle ; les relectures "
        "faites jusqu'ici portaient sur la révision précédente."
    ),
    "Edit a text file in the browser, upload files, or both: they make one contribution.": (
        "Modifiez un fichier texte dans le navigateur, téléversez des fichiers, ou les deux : "
        "ils forment une seule contribution."
    ),
    "Maintainers review it before it becomes canonical.": (
        "Les mainteneurs la relisent avant qu'elle ne devienne canonique."
    ),
    "It becomes canonical at once; maintainers may revert it.": (
        "Elle devient canonique tout de suite ; les mainteneurs peuvent l'annuler."
    ),
    "See the current version": "Voir la version actuelle",
    "Files to upload must be chosen again.": "Les fichiers à téléverser sont à choisir de nouveau.",
    "Sign in to propose": "Connectez-vous pour proposer",
    "Open a file to edit": "Ouvrir un fichier à modifier",
    "Open": "Ouvrir",
    "Markdown": "Markdown",
    "Changes of the current revision": "Modifications de la révision actuelle",
    "edit": "modifier",
    "Untick a change to leave it out of the new revision. A file edited or uploaded below "
    "replaces the change to the same path.": (
        "Décochez une modification pour la laisser hors de la nouvelle révision. Un fichier "
        "modifié ou téléversé ci-dessous remplace la modification du même chemin."
    ),
    "{path} is not a text file: upload a new version below.": (
        "{path} n'est pas un fichier texte : téléversez-en une nouvelle version ci-dessous."
    ),
    "{path} is too large to edit in the page (over 1 MiB): upload a new version below.": (
        "{path} est trop grand pour être modifié dans la page (plus de 1 Mio) : "
        "téléversez-en une nouvelle version ci-dessous."
    ),
    "{path} is not on this node yet: upload a new version below.": (
        "{path} n'est pas encore sur ce nœud : téléversez-en une nouvelle version ci-dessous."
    ),
    "Content": "Contenu",
    "Leave the path empty to only upload files.": (
        "Laissez le chemin vide pour seulement téléverser des fichiers."
    ),
    "Folder": "Dossier",
    "Each file goes to the folder under its own name; a file already at that path is replaced.": (
        "Chaque fichier va dans le dossier sous son propre nom ; un fichier déjà à ce chemin "
        "est remplacé."
    ),
    "Propose this revision": "Proposer cette révision",
    "This contribution was made in the parent commons before the fork: review it and "
    "decide on it there.": (
        "Cette contribution a été faite dans le commun parent avant la bifurcation : "
        "relisez-la et décidez-en là-bas."
    ),
    "Open it in the parent commons": "L'ouvrir dans le commun parent",
    "an earlier revision": "une révision précédente",
    # The board, tasks, discussion and people (web/board.py, people.py, discussion.py).
    "What needs doing": "Ce qu'il y a à faire",
    "Nobody assigns work here: open a task, claim one, or leave a signal on what matters. "
    "Signals warm an item and cool down with time; the hottest come first.": (
        "Personne n'attribue le travail ici : ouvrez une tâche, prenez-en une, ou laissez "
        "un signal sur ce qui compte. Les signaux réchauffent un élément et refroidissent "
        "avec le temps ; les plus chauds viennent en premier."
    ),
    "Nothing on the board: open a task to start.": (
        "Rien au tableau : ouvrez une tâche pour commencer."
    ),
    "task": "tâche",
    "review": "relecture",
    "needs work": "à retravailler",
    "signal": "signal",
    "signals": "signaux",
    "signalled": "signalé",
    "flagged": "signalé à retravailler",
    "flagged by": "signalé par",
    "claimed by": "prise par",
    "until": "jusqu'au",
    "claim expired": "prise expirée",
    "waiting for validation": "en attente de validation",
    "waiting for review": "en attente de relecture",
    "you signalled this": "vous l'avez déjà signalé",
    "Unflag": "Retirer le signalement",
    "Flag a file": "Signaler un fichier",
    "What needs work": "Ce qui est à retravailler",
    "Flag as needing work": "Signaler à retravailler",
    "Contributions it is about": "Contributions concernées",
    "ids, optional": "identifiants, facultatif",
    "to open tasks and leave signals.": "pour ouvrir des tâches et laisser des signaux.",
    "Opened by": "Ouverte par",
    "Claimed by": "Prise par",
    "expired": "expirée",
    "Done by": "Faite par",
    "Verdict": "Verdict",
    "by": "par",
    "About": "À propos de",
    "Work": "Travail",
    "Contributions that did the work": "Contributions qui ont fait le travail",
    "Mark as done": "Marquer comme faite",
    "What is wrong": "Ce qui ne va pas",
    "You did this work: someone else validates it.": (
        "Vous avez fait ce travail : quelqu'un d'autre le valide."
    ),
    "Only maintainers validate tasks in this commons.": (
        "Seuls les mainteneurs valident les tâches dans ce commun."
    ),
    "to claim this task or leave a signal.": "pour prendre cette tâche ou laisser un signal.",
    "opened the task": "a ouvert la tâche",
    "claimed it": "l'a prise",
    "took over an expired claim": "a repris une prise expirée",
    "extended the claim": "a prolongé sa prise",
    "released the claim": "a libéré sa prise",
    "marked it done": "l'a marquée faite",
    "validated the work": "a validé le travail",
    "invalidated the work": "a invalidé le travail",
    "reopened it": "l'a rouverte",
    "signalled it": "l'a signalée",
    "in reply": "en réponse",
    "edited": "modifié",
    "This message was retracted by its author.": "Ce message a été retiré par son auteur·ice.",
    "Show the hidden message": "Afficher le message masqué",
    "Earlier versions": "Versions précédentes",
    "React": "Réagir",
    "Edit": "Modifier",
    "Save": "Enregistrer",
    "Unhide": "Démasquer",
    "No message yet.": "Aucun message pour l'instant.",
    "Your message": "Votre message",
    "Markdown; @did:key:… mentions someone": "Markdown ; @did:key:… mentionne quelqu'un",
    "to take part in the discussion.": "pour prendre part à la discussion.",
    "Someone": "Quelqu'un",
    "Also known as": "Aussi connu·e comme",
    "Takes part in": "Prend part à",
    "This person has not acted in the commons this node holds.": (
        "Cette personne n'a pas agi dans les communs que ce nœud détient."
    ),
    "mentioned you": "vous a mentionné·e",
    "replied to you": "vous a répondu",
    "in": "dans",
    "approve": "approuvé",
    "request changes": "changements demandés",
    "comment": "commentaire",
    "Holding now": "Prises en ce moment",
    "Opened": "Ouvertes",
    "Did": "Faites",
    "Discussion in": "Discussion dans",
    "Heat": "Chaleur",
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

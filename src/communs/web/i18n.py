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
    "Add to my calendar": "Ajouter à mon agenda",
    "Dimensions": "Dimensions",
    "Taken": "Pris le",
    "Place": "Lieu",
    "Duration": "Durée",
    "Artist": "Artiste",
    "Album": "Album",
    "Lost? Fork the commons with this change applied: you will maintain the fork.": (
        "Perdu ? Bifurquez le commun avec ce changement : vous maintiendrez la bifurcation."
    ),
    "Fork with this change": "Bifurquer avec ce changement",
    "closes {when}: you have not answered yet": (
        "se clôt le {when} : vous n'avez pas encore répondu"
    ),
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
    "This image is too large to preview ({pixels} megapixels, the limit is {limit}); "
    "download it instead.": (
        "Cette image est trop grande pour un aperçu ({pixels} mégapixels, la limite est de "
        "{limit}) : téléchargez-la plutôt."
    ),
    "Only the first {limit} of this file are shown: download it to read the rest.": (
        "Seuls les premiers {limit} de ce fichier sont affichés : "
        "téléchargez-le pour lire la suite."
    ),
    "Share it over BitTorrent:": "Le partager par BitTorrent :",
    "Being fetched from peers:": "En cours de récupération auprès des pairs :",
    "{seconds} s left": "encore {seconds} s",
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
    "Removed by the maintainers:": "Retiré par les mainteneurs\u00a0:",
    "Erased by its author, on every node.": "Effacé par son auteur·ice, sur chaque nœud.",
    "This message's text has not reached this node yet.": (
        "Le texte de ce message n'est pas encore arrivé sur ce nœud."
    ),
    "Erase": "Effacer",
    "Show the earlier messages": "Afficher les messages précédents",
    "The text is deleted on every node that holds this commons, and never served again; that a "
    "message was here stays visible.": (
        "Le texte est supprimé sur chaque nœud qui détient ce commun, et n'est plus jamais "
        "servi\u00a0; qu'un message était là reste visible."
    ),
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
    # Governance (web/proposals.py, charter.py, health.py): proposals, the charter, health.
    "Governance": "Gouvernance",
    "Proposals": "Propositions",
    "Charter": "Charte",
    "Health": "Santé",
    "Decisions": "Décisions",
    "Decision log": "Journal des décisions",
    "Anyone may challenge any rule: open a proposal. The charter says who takes part and how "
    "each kind of decision is taken.": (
        "Chacun peut contester n'importe quelle règle : ouvrez une proposition. La charte dit qui "
        "prend part et comment chaque type de décision est pris."
    ),
    "{n} min": "{n} min",
    "{n} h": "{n} h",
    "{n} days": "{n} jours",
    "add {who} as a maintainer": "ajouter {who} aux mainteneurs",
    "remove {who} from the maintainers": "retirer {who} des mainteneurs",
    "set the charter's {field} to {value}": "mettre le champ {field} de la charte à {value}",
    "return {kind} decisions to the default rule": (
        "ramener les décisions {kind} à la règle par défaut"
    ),
    "decide {kind} decisions by {method}, {who} taking part": (
        "prendre les décisions {kind} par {method}, avec la participation de : {who}"
    ),
    "{k} of {n} maintainers approve": "{k} mainteneurs sur {n} approuvent",
    "one maintainer approves": "un mainteneur approuve",
    "more yes than no": "plus de oui que de non",
    "at least {num}/{den} of yes and no are yes": (
        "au moins {num}/{den} des oui et non sont des oui"
    ),
    "passes unless an objection stands": "adoptée sauf si une objection est maintenue",
    "passes once no objection remains unresolved": (
        "adoptée quand plus aucune objection ne reste sans réponse"
    ),
    "no block and at least one agree": "aucun blocage et au moins un accord",
    "advice; the proposer decides": "des avis ; l'auteur de la proposition décide",
    "one option each": "une option chacun",
    "up to {n} options each": "jusqu'à {n} options chacun",
    "any number of options": "autant d'options que l'on veut",
    "a score from 0 to {n} for each option": "une note de 0 à {n} pour chaque option",
    "A score from 0 to {n} for each option": "Une note de 0 à {n} pour chaque option",
    "options ranked, instant runoff": "options classées, vote alternatif",
    "{n} dots to place among the options": "{n} gommettes à répartir entre les options",
    "yes, if need be or no for each slot": "oui, si besoin ou non pour chaque créneau",
    "quorum {n}": "quorum {n}",
    "a reason with every ballot": "une raison avec chaque bulletin",
    "single maintainer": "un seul mainteneur",
    "k of n": "k sur n",
    "lazy consensus": "consensus tacite",
    "consent": "consentement",
    "consensus": "consensus",
    "majority": "majorité",
    "supermajority": "majorité qualifiée",
    "advice": "avis",
    "single choice": "choix unique",
    "multiple choice": "choix multiple",
    "score": "vote par notes",
    "ranked choice": "vote par classement",
    "dot vote": "vote par gommettes",
    "time poll": "sondage de date",
    "yes": "oui",
    "no": "non",
    "abstain": "abstention",
    "agree": "d'accord",
    "stand aside": "en retrait",
    "disagree": "pas d'accord",
    "block": "blocage",
    "if need be": "si besoin",
    "charter": "charte",
    "maintainer": "mainteneur",
    "custom": "autre",
    "closed": "close",
    "passed": "adoptée",
    "failed": "rejetée",
    "settled": "tranchée",
    "undecided": "indécise",
    "maintainers": "les mainteneurs",
    "contributors with accepted contributions": (
        "les contributeurs et contributrices ayant des contributions acceptées"
    ),
    "members (maintainers and authors of an accepted contribution)": (
        "les membres (mainteneurs et auteurs d'une contribution acceptée)"
    ),
    "anyone": "tout le monde",
    "name": "nom",
    "kind": "type",
    "licence": "licence",
    "mode": "mode",
    "claim hours": "durée d'une prise (heures)",
    "half life hours": "demi-vie des signaux (heures)",
    "validators": "qui valide",
    "objections": "objections",
    "unresolved": "sans réponse",
    "{n} objection(s)": "{n} objection(s)",
    "{n} standing": "{n} maintenue(s)",
    "{n} hidden ballot(s)": "{n} bulletin(s) secret(s)",
    "{n} vote(s)": "{n} vote(s)",
    "hidden ballots": "bulletins secrets",
    "closes": "close le",
    "may be closed now": "peut être close maintenant",
    "If it passes:": "Si elle est adoptée :",
    "No open proposal.": "Aucune proposition ouverte.",
    "Closed, ballots being revealed": "Closes, bulletins en cours de révélation",
    "Decided": "Décidées",
    "not applied": "non appliqué",
    "applied": "appliqué",
    "Outcome": "Issue",
    "Nothing decided yet.": "Rien n'est encore décidé.",
    "Open a proposal": "Ouvrir une proposition",
    "What and why": "Quoi et pourquoi",
    "Kind of decision": "Type de décision",
    "Method": "Méthode",
    "Binding: the charter's rule for this kind": "Décision : la règle de la charte pour ce type",
    "Advisory poll": "Sondage consultatif",
    "advisory poll": "sondage consultatif",
    "Options, one per line": "Options, une par ligne",
    "polls; time poll: one slot per line": "sondages ; sondage de date : un créneau par ligne",
    "Closes in (hours)": "Close dans (heures)",
    "Hidden ballots: secret until the close, then revealed": (
        "Bulletins secrets : cachés jusqu'à la clôture, puis révélés"
    ),
    "Effect if it passes": "Effet si elle est adoptée",
    "Change": "Changement",
    "none": "aucun",
    "add a maintainer (DID)": "ajouter un mainteneur (DID)",
    "remove a maintainer (DID)": "retirer un mainteneur (DID)",
    "set a charter field (field=value)": "changer un champ de la charte (champ=valeur)",
    "set the rule of a kind (kind=method)": "changer la règle d'un type (type=méthode)",
    "Value": "Valeur",
    "A custom proposal with a maintainer change becomes a maintainer decision; with a charter "
    "change, a charter decision.": (
        "Une proposition « autre » qui change les mainteneurs devient une décision de type "
        "mainteneur ; qui change la charte, une décision de type charte."
    ),
    "Poll parameters": "Paramètres du sondage",
    "Quorum (how many must take part)": "Quorum (combien doivent participer)",
    "Most choices (multiple choice; 0: any)": "Choix au plus (choix multiple ; 0 : sans limite)",
    "Highest score (score)": "Note maximale (vote par notes)",
    "Dots each (dot vote)": "Gommettes par personne (vote par gommettes)",
    "Every ballot comes with its reason": "Chaque bulletin donne sa raison",
    "Open the proposal": "Ouvrir la proposition",
    "to open proposals and vote.": "pour ouvrir des propositions et voter.",
    "average": "moyenne",
    "Kind": "Type",
    "Who takes part": "Qui prend part",
    "at least {n}": "au moins {n}",
    "Ballots": "Bulletins",
    "hidden until the close, then revealed within {n} h": (
        "secrets jusqu'à la clôture, puis révélés dans les {n} h"
    ),
    "Options": "Options",
    "Slots": "Créneaux",
    "Closes": "Clôture",
    "closed by": "close par",
    "settled by": "tranchée par",
    "Effect": "Effet",
    "Result": "Résultat",
    "Comes first": "En tête",
    "Tied": "À égalité",
    "Runoff rounds": "Tours de décompte",
    "eliminated": "éliminée",
    "To be reviewed on": "À revoir le",
    "So far": "Pour l'instant",
    "{n} commitment(s)": "{n} engagement(s)",
    "{n} revealed": "{n} révélé(s)",
    "Hidden ballots are shown once the result is settled.": (
        "Les bulletins secrets s'affichent une fois le résultat tranché."
    ),
    "You committed a ballot; this node keeps it until you reveal it after the close.": (
        "Vous avez déposé un bulletin secret ; ce nœud le garde jusqu'à ce que vous le révéliez "
        "après la clôture."
    ),
    "Ballot": "Bulletin",
    "No ballot yet.": "Aucun bulletin pour l'instant.",
    "Objections": "Objections",
    "standing": "maintenue",
    "Resolved": "Résolue",
    "No objection: it passes at the close unless someone objects.": (
        "Aucune objection : elle sera adoptée à la clôture sauf si quelqu'un objecte."
    ),
    "No objection yet.": "Aucune objection pour l'instant.",
    "Your ballot": "Votre bulletin",
    "now": "actuellement",
    "a new ballot replaces it": "un nouveau bulletin le remplace",
    "Your advice": "Votre avis",
    "Rank the options: 1 for your first choice, 2 for the next; leave empty what you do not "
    "rank.": (
        "Classez les options : 1 pour votre premier choix, 2 pour le suivant ; laissez vide ce "
        "que vous ne classez pas."
    ),
    "optional": "facultatif",
    "Commit my hidden ballot": "Déposer mon bulletin secret",
    "Vote": "Voter",
    "Only maintainers vote on this proposal.": (
        "Seuls les mainteneurs votent sur cette proposition."
    ),
    "Object": "Objecter",
    "Why you object": "Pourquoi vous objectez",
    "Withdraw my objection": "Retirer mon objection",
    "How it was resolved": "Comment elle a été résolue",
    "Close": "Clore",
    "Outcome statement": "Déclaration d'issue",
    "Ballots and objections after the close do not count.": (
        "Les bulletins et objections après la clôture ne comptent pas."
    ),
    "Then everyone reveals their ballot.": "Ensuite chacun révèle son bulletin.",
    "Close the proposal": "Clore la proposition",
    "Can be closed from {time} UTC.": "Peut être close à partir du {time} UTC.",
    "Reveal my ballot": "Révéler mon bulletin",
    "Settle": "Trancher",
    "{n} ballot(s) were not revealed: they count as abstentions.": (
        "{n} bulletin(s) non révélé(s) : ils comptent comme des abstentions."
    ),
    "Count the revealed ballots": "Compter les bulletins révélés",
    "{n} ballot(s) may still be revealed until {time} UTC; it can be settled then, or once "
    "every ballot is revealed.": (
        "{n} bulletin(s) peuvent encore être révélés jusqu'au {time} UTC ; on pourra trancher "
        "alors, ou dès que tous les bulletins seront révélés."
    ),
    "to take part in this decision.": "pour prendre part à cette décision.",
    "The charter of": "La charte de",
    "Created by": "Créé par",
    "How decisions are taken": "Comment les décisions sont prises",
    "Who proposes": "Qui propose",
    "any other kind": "tout autre type",
    "default": "par défaut",
    "Anyone may propose a charter decision: every rule, even the rule for changing rules, can "
    "be challenged.": (
        "Chacun peut proposer une décision de charte : toute règle, même celle qui change les "
        "règles, peut être contestée."
    ),
    "Propose a change": "Proposer un changement",
    "How {name} is doing": "Comment va {name}",
    "Over the last 12 months, from the events this node holds.": (
        "Sur les 12 derniers mois, d'après les événements que détient ce nœud."
    ),
    "Only the latest events were counted.": "Seuls les événements les plus récents sont comptés.",
    "contributors": "contributeurs et contributrices",
    "contributions": "contributions",
    "contributions decided": "contributions décidées",
    "median time to a decision": "délai médian avant décision",
    "objections standing": "objections maintenues",
    "Objections standing": "Objections maintenues",
    "Active contributors per month": "Contributeurs actifs par mois",
    "People who proposed at least one contribution in the month.": (
        "Les personnes qui ont proposé au moins une contribution dans le mois."
    ),
    "Review": "Relecture",
    "Time from proposal to decision": "Délai entre la proposition et la décision",
    "under an hour": "moins d'une heure",
    "under a day": "moins d'un jour",
    "under a week": "moins d'une semaine",
    "under a month": "moins d'un mois",
    "longer": "plus",
    "No contribution decided in the last 12 months.": (
        "Aucune contribution décidée ces 12 derniers mois."
    ),
    "{n} of this commons' {total} contributors took part": (
        "{n} des {total} contributeurs et contributrices de ce commun y ont pris part"
    ),
    "{n} people active there": "{n} personnes actives là-bas",
    "No fork known to this node.": "Aucune bifurcation connue de ce nœud.",
    "No objection stands on an open proposal.": (
        "Aucune objection n'est maintenue sur une proposition ouverte."
    ),
    "{k} maintainers approve": "{k} mainteneurs approuvent",
    "Mode": "Mode",
    "Threshold": "Seuil",
    "A claim on a task lasts (hours)": "Une tâche prise le reste (heures)",
    "Signals cool by half in (hours)": "Les signaux refroidissent de moitié en (heures)",
    "Who validates tasks": "Qui valide les tâches",
    "Enough maintainers approved: it may be closed now, before its closing time.": (
        "Assez de mainteneurs ont approuvé : elle peut être close dès maintenant, avant l'heure "
        "prévue."
    ),
    "Or as soon as enough maintainers approve.": "Ou dès qu'assez de mainteneurs approuvent.",
    "text": "texte",
    "software": "logiciel",
    "design": "design",
    "media": "médias",
    "places": "lieux",
    "data": "données",
    "equipment": "équipement",
    "other": "autre",
    "This node holds no hidden ballot of yours for this proposal: reveal it from the node you "
    "voted on.": (
        "Ce nœud ne détient aucun bulletin secret de vous pour cette proposition : révélez-le "
        "depuis le nœud où vous avez voté."
    ),
    # the node page
    "Node": "Nœud",
    "Serving at {url}.": "En service à {url}.",
    "Nodes exchange the commons they follow directly, with no central server.": (
        "Les nœuds s’échangent directement les communs qu’ils suivent, sans serveur central."
    ),
    "Every event is checked here before it counts.": (
        "Chaque événement est vérifié ici avant de compter."
    ),
    "Fetching now": "En cours de récupération",
    "from": "depuis",
    "Commons held here": "Communs présents ici",
    "Share a link with someone who runs a node.": "Partagez un lien avec qui fait tourner un nœud.",
    "“communs follow LINK” fetches the commons and keeps it in sync.": (
        "« communs follow LIEN » récupère le commun et le garde à jour."
    ),
    "followed": "suivi",
    "Link to share": "Lien à partager",
    "Peers": "Pairs",
    "found on the local network": "trouvé sur le réseau local",
    "unreachable: {error}": "injoignable : {error}",
    "tried again in {seconds} s": "nouvel essai dans {seconds} s",
    "last synced {time}": "dernière synchronisation {time}",
    "not synced yet": "pas encore synchronisé",
    "No peer yet: communs peer add http://HOST:PORT, or serve with --lan.": (
        "Aucun pair : communs peer add http://HÔTE:PORT, ou lancez le nœud avec --lan."
    ),
    "Refused events": "Événements refusés",
    "Latest": "Les derniers",
    "None: every event received was valid and allowed by this node's policy.": (
        "Aucun : chaque événement reçu était valide et admis par la politique de ce nœud."
    ),
    "Blocked authors": "Auteurs bloqués",
    "Waiting for their parents": "En attente de leurs parents",
    "{count} event(s) received before their parents wait here, within limits per peer and "
    "per author, for a day at most; those dropped come back with the next sync.": (
        "{count} événement(s) reçu(s) avant leurs parents attendent ici, dans des limites par "
        "pair et par auteur, un jour au plus ; ceux qui sont abandonnés reviennent avec la "
        "prochaine synchronisation."
    ),
    "Share": "Partager",
    "On another node: communs follow LINK": "Sur un autre nœud : communs follow LIEN",
    "Your recovery code:": "Votre code de récupération :",
    "Write it down: it lets you back in if you forget your passphrase.": (
        "Notez-le : il vous permet de revenir si vous oubliez votre phrase secrète."
    ),
    "It will not be shown again.": "Il ne sera plus affiché.",
    "Forgot your passphrase?": "Phrase secrète oubliée ?",
    "Recover your account": "Récupérer votre compte",
    "Recovery code": "Code de récupération",
    "New passphrase": "Nouvelle phrase secrète",
    "Recover": "Récupérer",
    "Give the recovery code you were given when you registered, and choose a new passphrase. "
    "You will then get a new recovery code: the old one stops working.": (
        "Donnez le code de récupération reçu lors de votre inscription et choisissez une "
        "nouvelle phrase secrète. Vous recevrez alors un nouveau code : l'ancien cesse de "
        "fonctionner."
    ),
    "Accounts registered before this hub gave recovery codes have none: for them, and when "
    "both the passphrase and the code are lost, the account cannot be recovered, not even by "
    "the steward of the hub, since only you can open your key. You may register again under "
    "another name.": (
        "Les comptes créés avant que ce hub donne des codes de récupération n'en ont pas : "
        "pour eux, et quand la phrase secrète et le code sont tous deux perdus, le compte ne "
        "peut pas être récupéré, pas même par l'intendant du hub, car vous seul pouvez ouvrir "
        "votre clé. Vous pouvez créer un nouveau compte sous un autre nom."
    ),
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

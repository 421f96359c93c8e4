## Les pages présentées aux clients et le message prêt à envoyer, en français (vous).
## Les variables de chaque message sont décrites dans le fichier anglais.

## Toutes les pages

page-title = { $title } – { $brand }
skip-to-content = Aller au contenu
language-menu = Langue
fact-requested-by = Demandé par
fact-for = Pour
footer-support = Des questions ? Contactez { $brand } :
footer-privacy = Politique de confidentialité
footer-terms = Conditions d’utilisation
revoke = Vous pouvez retirer cet accès à tout moment dans votre compte Google :
next-continue = Continuer vers { $host }
next-back = Retour à { $host }
close-window = Vous pouvez fermer cette fenêtre.
signed-in-as = Compte utilisé : { $email }.

-again = Ouvrez à nouveau le lien que vous avez reçu pour réessayer.

## La page qu’ouvre un lien d’invitation

ask = { $brand } demande l’accès à votre compte Google, pour { $tenant }.
    .title = Connecter votre compte Google
ask-next = Google va ensuite vous demander de vous connecter, puis indiquera que « { $google_app } » souhaite accéder à votre compte Google.
ask-app-name = « { $google_app } » est le nom sous lequel { $brand } est enregistré chez Google.
ask-allowed = « { $google_app } » pourra :
allow-gmail = Envoyer des e-mails en votre nom (uniquement « envoyer » dans Gmail : l’application ne peut pas lire vos e-mails)
allow-google-drive = Voir, modifier, créer et supprimer uniquement les fichiers Google Drive que vous utilisez avec cette application
allow-identity = Voir votre nom et votre adresse e-mail
ask-account-email = Veuillez vous connecter avec { $email }.
ask-account-domain = Veuillez vous connecter avec un compte de { $domain }.
ask-continue = Continuer vers Google

## Après l’écran de consentement de Google

connected = { $brand } est maintenant connecté à votre compte Google, pour { $tenant }.
    .title = Connexion réussie
allowed-now = « { $google_app } » peut désormais :
integration-gmail = Gmail
integration-google-drive = Google Drive
connected-partly = { $integration } est connecté ({ $done } sur { $total })
connected-all = Connexion réussie ({ $done } sur { $total })
next-consent = Google demande chaque accès séparément. Étape suivante : { $integration }.
next-consent-continue = Continuer avec { $integration }
next-consent-open-link = Pour connecter aussi { $integration }, ouvrez à nouveau le lien que vous avez reçu.
awaiting-approval = Merci. Le compte Google utilisé n’est pas celui qui était connecté auparavant : la connexion pour { $tenant } attend donc une vérification par { $brand }. Vous n’avez rien d’autre à faire.
    .title = Presque terminé

## Échecs et refus

link-unknown = Ce lien n’est pas valide. Vérifiez qu’il a été copié en entier, ou demandez-en un nouveau à { $brand }.
    .title = Lien non reconnu
link-gone =
    { $reason ->
        [used] Ce lien a déjà servi à connecter un compte.
        [withdrawn] Ce lien a été retiré.
        [superseded] Un lien plus récent a servi à connecter un compte.
        [expired] Ce lien a expiré.
       *[inactive] Cette invitation n’est plus active.
    } Demandez un nouveau lien à { $brand }.
    .title = Ce lien n’est plus valide
not-configured = La connexion n’est pas disponible pour le moment. Veuillez réessayer plus tard ou contacter { $brand }.
    .title = Momentanément indisponible
internal = Cette étape n’a pas pu aboutir. { -again }
    .title = Un problème est survenu
callback-incomplete = Cette page attend une réponse de la connexion Google, et celle-ci était incomplète. { -again }
    .title = Réponse de connexion incomplète
state-unknown = Cette réponse de connexion n’a pas été reconnue ou a expiré. { -again }
    .title = Connexion non reconnue
replayed = Cette réponse de connexion a déjà été utilisée. Si la connexion n’est pas encore établie : { -again }
    .title = Connexion déjà utilisée
flow-expired =
    La connexion a duré plus de { $minutes ->
        [one] une minute
       *[other] { $minutes } minutes
    } et a expiré. { -again }
    .title = Connexion expirée
denied = Vous avez choisi de ne pas accorder l’accès : rien n’a été partagé. S’il s’agit d’une erreur : { -again }
    .title = Accès non accordé
google-error = Google n’a pas pu terminer la connexion. { -again }
    .title = Google a signalé un problème
google-setup = Google a refusé cette connexion à cause d’un réglage du côté de { $brand } : rien n’a été partagé. Prévenez { $brand } ; une fois le problème corrigé, ouvrez à nouveau le lien que vous avez reçu.
    .title = Un réglage doit être corrigé
google-busy = Google rencontre un problème temporaire : rien n’a été partagé. Attendez quelques minutes, puis ouvrez à nouveau le lien que vous avez reçu.
    .title = Google est temporairement indisponible
google-retry = Google n’a pas accepté la réponse de cette connexion (elle a peut-être pris trop de temps) : rien n’a été partagé. { -again }
    .title = Connexion refusée par Google
google-code = Code d’erreur de Google : { $code }
exchange-failed = Nous n’avons pas pu terminer la connexion avec Google. { -again } Si le problème persiste, contactez { $brand }.
    .title = La connexion n’a pas abouti
no-refresh-token = Google n’a pas accordé d’accès durable. { -again } Si cela se reproduit, retirez d’abord « { $google_app } » des applications ayant accès à votre compte Google (myaccount.google.com/permissions).
    .title = Accès durable non accordé
scope-missing = Chaque autorisation de l’écran de Google est nécessaire, et au moins une n’a pas été cochée. { -again } Cochez ensuite toutes les cases.
    .title = Une autorisation n’a pas été cochée
wrong-account =
    { $kind ->
        [domain] Cette invitation est destinée à un compte de { $expected }.
       *[email] Cette invitation est destinée à { $expected }.
    } { -again } Choisissez alors ce compte.
    .title = Un autre compte Google est attendu
wrong-browser = Cette connexion est revenue dans un autre navigateur que celui où le lien a été ouvert ; elle n’a donc pas été utilisée. Ouvrez à nouveau le lien reçu, dans le navigateur avec lequel vous vous connecterez.
    .title = Ouvrez le lien dans le navigateur de connexion
continue-refused = Cette page ne fonctionne que si elle est ouverte depuis le lien que vous avez reçu, dans le même navigateur. Ouvrez à nouveau le lien.
    .title = Veuillez ouvrir le lien reçu
rate-limited = Veuillez patienter une minute, puis réessayer.
    .title = Trop de requêtes
not-found = Il n’y a rien à cette adresse.
    .title = Page introuvable
uri-too-long = Cette adresse est trop longue pour être valide.
    .title = Adresse trop longue
headers-too-large = Les en-têtes de la requête sont trop volumineux.
    .title = Requête trop volumineuse

## Le message prêt à envoyer (message.txt à côté de ce fichier) : objet et éléments insérés

message-subject = { $brand } : connectez votre compte Google pour { $tenant }
message-access-gmail = d’envoyer des e-mails en votre nom (uniquement « envoyer » dans Gmail : l’application ne peut pas lire vos e-mails)
message-access-google-drive = de voir, modifier, créer et supprimer uniquement les fichiers Google Drive que vous utilisez avec cette application
message-account-email = {" "}Veuillez vous connecter avec { $email }.
message-account-domain = {" "}Veuillez vous connecter avec votre compte { $domain }.

## Date et heure

date-time = { $weekday } { $day } { $month } { $year } à { $time } { $zone }
weekday =
    { $n ->
        [1] lundi
        [2] mardi
        [3] mercredi
        [4] jeudi
        [5] vendredi
        [6] samedi
       *[7] dimanche
    }
month =
    { $n ->
        [1] janvier
        [2] février
        [3] mars
        [4] avril
        [5] mai
        [6] juin
        [7] juillet
        [8] août
        [9] septembre
        [10] octobre
        [11] novembre
       *[12] décembre
    }

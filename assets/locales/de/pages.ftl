## Die Seiten für Kundinnen und Kunden und die versandfertige Nachricht, auf Deutsch (Sie).
## Die Variablen jeder Nachricht stehen in der englischen Datei.

## Jede Seite

page-title = { $title } – { $brand }
skip-to-content = Zum Inhalt springen
language-menu = Sprache
fact-requested-by = Angefragt von
fact-for = Für
footer-support = Fragen? Wenden Sie sich an { $brand }:
footer-privacy = Datenschutzerklärung
footer-terms = Nutzungsbedingungen
revoke = Sie können diesen Zugriff jederzeit in Ihrem Google-Konto widerrufen:
next-continue = Weiter zu { $host }
next-back = Zurück zu { $host }
close-window = Sie können dieses Fenster jetzt schließen.
signed-in-as = Sie haben sich als { $email } angemeldet.

-again = Öffnen Sie den erhaltenen Link erneut, um es noch einmal zu versuchen.

## Die Seite, die ein Einladungslink öffnet

ask = { $brand } bittet um Zugriff auf Ihr Google-Konto, für { $tenant }.
    .title = Google-Konto verbinden
ask-next = Als Nächstes bittet Google Sie, sich anzumelden, und zeigt dann an, dass „{ $google_app }“ auf Ihr Google-Konto zugreifen möchte.
ask-app-name = „{ $google_app }“ ist der Name, unter dem { $brand } bei Google registriert ist.
ask-allowed = Das darf „{ $google_app }“ danach:
allow-gmail = E-Mails in Ihrem Namen senden (nur „Senden“ in Gmail: Ihre E-Mails kann die App nicht lesen)
allow-google-drive = Nur die Google Drive-Dateien sehen, bearbeiten, erstellen und löschen, die Sie mit dieser App verwenden
allow-identity = Ihren Namen und Ihre E-Mail-Adresse sehen
ask-account-email = Bitte melden Sie sich mit { $email } an.
ask-account-domain = Bitte melden Sie sich mit einem Konto von { $domain } an.
ask-continue = Weiter zu Google

## Nach Googles Zustimmungsseite

connected = { $brand } ist jetzt mit Ihrem Google-Konto verbunden, für { $tenant }.
    .title = Verbindung hergestellt
allowed-now = Das darf „{ $google_app }“ jetzt:
integration-gmail = Gmail
integration-google-drive = Google Drive
connected-partly = { $integration } ist verbunden ({ $done } von { $total })
connected-all = Verbindung hergestellt ({ $done } von { $total })
next-consent = Google fragt jeden Zugriff einzeln ab. Als Nächstes: { $integration }.
next-consent-continue = Weiter mit { $integration }
next-consent-open-link = Um auch { $integration } zu verbinden, öffnen Sie den erhaltenen Link erneut.
awaiting-approval = Vielen Dank. Das Google-Konto, mit dem Sie sich angemeldet haben, ist nicht das zuvor verbundene. Die Verbindung für { $tenant } wartet daher auf eine Prüfung durch { $brand }. Sie müssen nichts weiter tun.
    .title = Fast geschafft

## Fehler und Ablehnungen

link-unknown = Dieser Link ist ungültig. Prüfen Sie, ob er vollständig kopiert wurde, oder bitten Sie { $brand } um einen neuen.
    .title = Link nicht erkannt
link-gone =
    { $reason ->
        [used] Dieser Link wurde bereits verwendet, um ein Konto zu verbinden.
        [withdrawn] Dieser Link wurde zurückgezogen.
        [superseded] Ein neuerer Link wurde verwendet, um ein Konto zu verbinden.
        [expired] Dieser Link ist abgelaufen.
       *[inactive] Diese Einladung ist nicht mehr aktiv.
    } Bitten Sie { $brand } um einen neuen Link.
    .title = Link nicht mehr gültig
not-configured = Die Anmeldung ist im Moment nicht verfügbar. Bitte versuchen Sie es später erneut oder wenden Sie sich an { $brand }.
    .title = Derzeit nicht verfügbar
internal = Dieser Schritt konnte nicht abgeschlossen werden. { -again }
    .title = Etwas ist schiefgelaufen
callback-incomplete = Diese Seite erwartet eine Antwort der Google-Anmeldung, und diese war unvollständig. { -again }
    .title = Antwort der Anmeldung unvollständig
state-unknown = Diese Antwort der Anmeldung wurde nicht erkannt oder ist abgelaufen. { -again }
    .title = Anmeldung nicht erkannt
replayed = Diese Antwort der Anmeldung wurde bereits verwendet. Falls Sie noch nicht verbunden sind: { -again }
    .title = Anmeldung bereits verwendet
flow-expired =
    Die Anmeldung hat länger als { $minutes ->
        [one] eine Minute
       *[other] { $minutes } Minuten
    } gedauert und ist abgelaufen. { -again }
    .title = Anmeldung abgelaufen
denied = Sie haben den Zugriff nicht gewährt, daher wurde nichts freigegeben. Falls das ein Versehen war: { -again }
    .title = Zugriff nicht gewährt
google-error = Google konnte die Anmeldung nicht abschließen. { -again }
    .title = Google hat ein Problem gemeldet
google-setup = Google hat diese Anmeldung wegen einer Einstellung bei { $brand } abgelehnt, daher wurde nichts freigegeben. Bitte informieren Sie { $brand }; sobald das behoben ist, öffnen Sie den erhaltenen Link erneut.
    .title = Eine Einstellung muss korrigiert werden
google-busy = Google hat ein vorübergehendes Problem, daher wurde nichts freigegeben. Warten Sie einige Minuten und öffnen Sie dann den erhaltenen Link erneut.
    .title = Google ist vorübergehend nicht verfügbar
google-retry = Google hat die Antwort dieser Anmeldung nicht angenommen (vielleicht hat sie zu lange gedauert), daher wurde nichts freigegeben. { -again }
    .title = Anmeldung von Google nicht angenommen
google-code = Fehlercode von Google: { $code }
exchange-failed = Die Anmeldung bei Google konnte nicht abgeschlossen werden. { -again } Wenn es weiterhin nicht klappt, wenden Sie sich an { $brand }.
    .title = Anmeldung nicht abgeschlossen
no-refresh-token = Google hat keinen dauerhaften Zugriff gewährt. { -again } Falls das erneut passiert, entfernen Sie zuerst „{ $google_app }“ aus den Apps mit Zugriff auf Ihr Google-Konto (myaccount.google.com/permissions).
    .title = Kein dauerhafter Zugriff gewährt
scope-missing = Jede Berechtigung auf Googles Seite wird benötigt, und mindestens eine wurde nicht angehakt. { -again } Haken Sie dann alle Kästchen an.
    .title = Eine Berechtigung wurde nicht angehakt
wrong-account =
    { $kind ->
        [domain] Diese Einladung gilt für ein Konto von { $expected }.
       *[email] Diese Einladung gilt für { $expected }.
    } { -again } Wählen Sie dann dieses Konto.
    .title = Ein anderes Google-Konto wird erwartet
wrong-browser = Diese Anmeldung kam in einem anderen Browser an als dem, in dem der Link geöffnet wurde, und wurde daher nicht verwendet. Öffnen Sie den erhaltenen Link erneut, und zwar in dem Browser, in dem Sie sich anmelden.
    .title = Link im Browser der Anmeldung öffnen
continue-refused = Diese Seite funktioniert nur, wenn sie über den erhaltenen Link im selben Browser geöffnet wird. Öffnen Sie den Link erneut.
    .title = Bitte öffnen Sie den erhaltenen Link
rate-limited = Bitte warten Sie eine Minute und versuchen Sie es dann erneut.
    .title = Zu viele Anfragen
not-found = Unter dieser Adresse gibt es nichts.
    .title = Nicht gefunden
uri-too-long = Diese Adresse ist zu lang, um gültig zu sein.
    .title = Adresse zu lang
headers-too-large = Die Kopfzeilen der Anfrage sind zu groß.
    .title = Anfrage zu groß

## Die versandfertige Nachricht (message.txt neben dieser Datei): Betreff und Einsätze

message-subject = { $brand }: Verbinden Sie Ihr Google-Konto für { $tenant }
message-access-gmail = E-Mails in Ihrem Namen zu senden (nur „Senden“ in Gmail: Ihre E-Mails kann die App nicht lesen)
message-access-google-drive = nur die Google Drive-Dateien zu sehen, zu bearbeiten, zu erstellen und zu löschen, die Sie mit dieser App verwenden
message-account-email = {" "}Bitte melden Sie sich mit { $email } an.
message-account-domain = {" "}Bitte melden Sie sich mit Ihrem Konto von { $domain } an.

## Datum und Uhrzeit

date-time = { $weekday }, { $day }. { $month } { $year }, { $time } { $zone }
weekday =
    { $n ->
        [1] Montag
        [2] Dienstag
        [3] Mittwoch
        [4] Donnerstag
        [5] Freitag
        [6] Samstag
       *[7] Sonntag
    }
month =
    { $n ->
        [1] Januar
        [2] Februar
        [3] März
        [4] April
        [5] Mai
        [6] Juni
        [7] Juli
        [8] August
        [9] September
        [10] Oktober
        [11] November
       *[12] Dezember
    }

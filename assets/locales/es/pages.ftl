## Las páginas que ven los clientes y el mensaje listo para enviar, en español (usted).
## Las variables de cada mensaje se describen en el archivo en inglés.

## Todas las páginas

page-title = { $title } – { $brand }
skip-to-content = Ir al contenido
language-menu = Idioma
fact-requested-by = Solicitado por
fact-for = Para
footer-support = ¿Tiene preguntas? Póngase en contacto con { $brand }:
footer-privacy = Política de privacidad
footer-terms = Condiciones del servicio
revoke = Puede retirar este acceso en cualquier momento desde su cuenta de Google:
next-continue = Continuar a { $host }
next-back = Volver a { $host }
close-window = Ya puede cerrar esta ventana.
signed-in-as = Ha iniciado sesión como { $email }.

-again = Vuelva a abrir el enlace que recibió para intentarlo de nuevo.

## La página que abre un enlace de invitación

ask = { $brand } solicita acceso a su cuenta de Google, para { $tenant }.
    .title = Conecte su cuenta de Google
ask-next = A continuación, Google le pedirá que inicie sesión y le mostrará que «{ $google_app }» quiere acceder a su cuenta de Google.
ask-app-name = «{ $google_app }» es el nombre con el que { $brand } está registrado en Google.
ask-allowed = «{ $google_app }» podrá:
allow-gmail = Enviar correos electrónicos en su nombre (solo «enviar» de Gmail: no puede leer su correo)
allow-google-drive = Ver, editar, crear y eliminar solo los archivos de Google Drive que utilice con esta aplicación
allow-identity = Ver su nombre y su dirección de correo electrónico
ask-account-email = Inicie sesión con { $email }.
ask-account-domain = Inicie sesión con una cuenta de { $domain }.
ask-continue = Continuar a Google

## Después de la pantalla de consentimiento de Google

connected = { $brand } ya está conectado a su cuenta de Google, para { $tenant }.
    .title = Conexión completada
allowed-now = Ahora «{ $google_app }» puede:
integration-gmail = Gmail
integration-google-drive = Google Drive
connected-partly = { $integration } está conectado ({ $done } de { $total })
connected-all = Conexión completada ({ $done } de { $total })
next-consent = Google pide cada acceso por separado. Siguiente: { $integration }.
next-consent-continue = Continuar con { $integration }
next-consent-open-link = Para conectar también { $integration }, vuelva a abrir el enlace que recibió.
awaiting-approval = Gracias. La cuenta de Google con la que ha iniciado sesión no es la que estaba conectada antes, por lo que la conexión para { $tenant } queda pendiente de una revisión por parte de { $brand }. No necesita hacer nada más.
    .title = Casi listo

## Errores y rechazos

link-unknown = Este enlace no es válido. Compruebe que se haya copiado completo o pida uno nuevo a { $brand }.
    .title = Enlace no reconocido
link-gone =
    { $reason ->
        [used] Este enlace ya se utilizó para conectar una cuenta.
        [withdrawn] Este enlace se ha retirado.
        [superseded] Se utilizó un enlace más reciente para conectar una cuenta.
        [expired] Este enlace ha caducado.
       *[inactive] Esta invitación ya no está activa.
    } Pida un enlace nuevo a { $brand }.
    .title = El enlace ya no es válido
not-configured = El inicio de sesión no está disponible en este momento. Inténtelo de nuevo más tarde o póngase en contacto con { $brand }.
    .title = No disponible en este momento
internal = No pudimos completar este paso. { -again }
    .title = Algo salió mal
callback-incomplete = Esta página espera una respuesta del inicio de sesión de Google, y llegó incompleta. { -again }
    .title = Respuesta de inicio de sesión incompleta
state-unknown = No se reconoció esta respuesta de inicio de sesión o ha caducado. { -again }
    .title = Inicio de sesión no reconocido
replayed = Esta respuesta de inicio de sesión ya se utilizó. Si la conexión aún no se ha completado: { -again }
    .title = Inicio de sesión ya utilizado
flow-expired =
    El inicio de sesión duró más de { $minutes ->
        [one] un minuto
       *[other] { $minutes } minutos
    } y caducó. { -again }
    .title = El inicio de sesión caducó
denied = Decidió no conceder el acceso, así que no se compartió nada. Si fue un error: { -again }
    .title = Acceso no concedido
google-error = Google no pudo completar el inicio de sesión. { -again }
    .title = Google informó de un problema
google-setup = Google rechazó este inicio de sesión por un ajuste del lado de { $brand }, así que no se compartió nada. Avise a { $brand }; cuando lo hayan corregido, vuelva a abrir el enlace que recibió.
    .title = Hay que corregir un ajuste
google-busy = Google tiene un problema temporal, así que no se compartió nada. Espere unos minutos y vuelva a abrir el enlace que recibió.
    .title = Google no está disponible temporalmente
google-retry = Google no aceptó la respuesta de este inicio de sesión (quizá tardó demasiado), así que no se compartió nada. { -again }
    .title = Google no aceptó el inicio de sesión
google-code = Código de error de Google: { $code }
exchange-failed = No pudimos completar el inicio de sesión con Google. { -again } Si sigue fallando, póngase en contacto con { $brand }.
    .title = No se pudo completar el inicio de sesión
no-refresh-token = Google no concedió un acceso duradero. { -again } Si vuelve a ocurrir, quite primero «{ $google_app }» de las aplicaciones con acceso a su cuenta de Google (myaccount.google.com/permissions).
    .title = Acceso duradero no concedido
scope-missing = Todos los permisos de la pantalla de Google son necesarios, y al menos uno quedó sin marcar. { -again } Después, marque todas las casillas.
    .title = Un permiso quedó sin marcar
wrong-account =
    { $kind ->
        [domain] Esta invitación es para una cuenta de { $expected }.
       *[email] Esta invitación es para { $expected }.
    } { -again } Después, elija esa cuenta.
    .title = Se esperaba otra cuenta de Google
wrong-browser = Este inicio de sesión volvió a un navegador distinto de aquel en el que se abrió el enlace, por lo que no se utilizó. Vuelva a abrir el enlace que recibió en el navegador con el que va a iniciar sesión.
    .title = Abra el enlace en el navegador con el que inicia sesión
continue-refused = Esta página solo funciona si se abre desde el enlace que recibió, en el mismo navegador. Vuelva a abrir el enlace.
    .title = Abra el enlace que recibió
rate-limited = Espere un minuto y vuelva a intentarlo.
    .title = Demasiadas solicitudes
not-found = No hay nada en esta dirección.
    .title = No encontrado
uri-too-long = Esta dirección es demasiado larga para ser válida.
    .title = Dirección demasiado larga
headers-too-large = Los encabezados de la solicitud son demasiado grandes.
    .title = Solicitud demasiado grande

## El mensaje listo para enviar (message.txt junto a este archivo): asunto y partes insertadas

message-subject = { $brand }: conecte su cuenta de Google para { $tenant }
message-access-gmail = enviar correos electrónicos en su nombre (solo «enviar» de Gmail: no puede leer su correo)
message-access-google-drive = ver, editar, crear y eliminar solo los archivos de Google Drive que utilice con esta aplicación
message-account-email = {" "}Inicie sesión con { $email }.
message-account-domain = {" "}Inicie sesión con su cuenta de { $domain }.

## Fecha y hora

date-time = { $weekday }, { $day } de { $month } de { $year }, { $time } { $zone }
weekday =
    { $n ->
        [1] lunes
        [2] martes
        [3] miércoles
        [4] jueves
        [5] viernes
        [6] sábado
       *[7] domingo
    }
month =
    { $n ->
        [1] enero
        [2] febrero
        [3] marzo
        [4] abril
        [5] mayo
        [6] junio
        [7] julio
        [8] agosto
        [9] septiembre
        [10] octubre
        [11] noviembre
       *[12] diciembre
    }

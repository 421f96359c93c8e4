## As páginas que os clientes veem e a mensagem pronta para enviar, em português do Brasil
## (você). As variáveis de cada mensagem estão descritas no arquivo em inglês.

## Todas as páginas

page-title = { $title } – { $brand }
skip-to-content = Pular para o conteúdo
language-menu = Idioma
fact-requested-by = Solicitado por
fact-for = Para
footer-support = Dúvidas? Fale com { $brand }:
footer-privacy = Política de privacidade
footer-terms = Termos de serviço
revoke = Você pode retirar este acesso a qualquer momento na sua Conta do Google:
next-continue = Continuar para { $host }
next-back = Voltar para { $host }
close-window = Você já pode fechar esta janela.
signed-in-as = Você fez login como { $email }.

-again = Abra novamente o link que você recebeu para tentar de novo.

## A página aberta por um link de convite

ask = { $brand } solicita acesso à sua Conta do Google, para { $tenant }.
    .title = Conecte sua Conta do Google
ask-next = Em seguida, o Google vai pedir que você faça login e mostrará que “{ $google_app }” quer acessar sua Conta do Google.
ask-app-name = “{ $google_app }” é o nome com o qual { $brand } está registrado no Google.
ask-allowed = “{ $google_app }” poderá:
allow-gmail = Enviar e-mails em seu nome (apenas “enviar” do Gmail: não pode ler seus e-mails)
allow-google-drive = Ver, editar, criar e excluir apenas os arquivos do Google Drive que você usa com este app
allow-identity = Ver seu nome e endereço de e-mail
ask-account-email = Faça login com { $email }.
ask-account-domain = Faça login com uma conta de { $domain }.
ask-continue = Continuar para o Google

## Depois da tela de consentimento do Google

connected = { $brand } agora está conectado à sua Conta do Google, para { $tenant }.
    .title = Conexão concluída
allowed-now = Agora “{ $google_app }” pode:
integration-gmail = Gmail
integration-google-drive = Google Drive
connected-partly = { $integration } está conectado ({ $done } de { $total })
connected-all = Conexão concluída ({ $done } de { $total })
next-consent = O Google pede cada acesso separadamente. Próximo: { $integration }.
next-consent-continue = Continuar com { $integration }
next-consent-open-link = Para conectar também o { $integration }, abra novamente o link que você recebeu.
awaiting-approval = Obrigado. A Conta do Google com que você fez login não é a que estava conectada antes, por isso a conexão para { $tenant } aguarda uma verificação de { $brand }. Você não precisa fazer mais nada.
    .title = Quase pronto

## Falhas e recusas

link-unknown = Este link não é válido. Verifique se ele foi copiado por completo ou entre em contato com { $brand } para receber um novo.
    .title = Link não reconhecido
link-gone =
    { $reason ->
        [used] Este link já foi usado para conectar uma conta.
        [withdrawn] Este link foi retirado.
        [superseded] Um link mais recente foi usado para conectar uma conta.
        [expired] Este link expirou.
       *[inactive] Este convite não está mais ativo.
    } Entre em contato com { $brand } para receber um novo link.
    .title = Este link não é mais válido
not-configured = O login não está disponível no momento. Tente novamente mais tarde ou entre em contato com { $brand }.
    .title = Indisponível no momento
internal = Não foi possível concluir esta etapa. { -again }
    .title = Algo deu errado
callback-incomplete = Esta página espera uma resposta do login do Google, e ela chegou incompleta. { -again }
    .title = Resposta de login incompleta
state-unknown = Esta resposta de login não foi reconhecida ou expirou. { -again }
    .title = Login não reconhecido
replayed = Esta resposta de login já foi usada. Se a conexão ainda não foi concluída: { -again }
    .title = Login já usado
flow-expired =
    O login levou mais de { $minutes ->
        [one] um minuto
       *[other] { $minutes } minutos
    } e expirou. { -again }
    .title = Login expirado
denied = Você optou por não conceder acesso, então nada foi compartilhado. Se foi um engano: { -again }
    .title = Acesso não concedido
google-error = O Google não conseguiu concluir o login. { -again }
    .title = O Google informou um problema
google-setup = O Google recusou este login por causa de uma configuração do lado de { $brand }, então nada foi compartilhado. Avise { $brand }; depois que corrigirem, abra novamente o link que você recebeu.
    .title = Uma configuração precisa ser corrigida
google-busy = O Google está com um problema temporário, então nada foi compartilhado. Aguarde alguns minutos e abra novamente o link que você recebeu.
    .title = O Google está temporariamente indisponível
google-retry = O Google não aceitou a resposta deste login (talvez tenha demorado demais), então nada foi compartilhado. { -again }
    .title = Login não aceito pelo Google
google-code = Código de erro do Google: { $code }
exchange-failed = Não foi possível concluir o login com o Google. { -again } Se continuar falhando, entre em contato com { $brand }.
    .title = Não foi possível concluir o login
no-refresh-token = O Google não concedeu acesso duradouro. { -again } Se acontecer de novo, primeiro remova “{ $google_app }” dos apps com acesso à sua Conta do Google (myaccount.google.com/permissions).
    .title = Acesso duradouro não concedido
scope-missing = Todas as permissões da tela do Google são necessárias, e pelo menos uma ficou desmarcada. { -again } Depois, marque todas as caixas.
    .title = Uma permissão ficou desmarcada
wrong-account =
    { $kind ->
        [domain] Este convite é para uma conta de { $expected }.
       *[email] Este convite é para { $expected }.
    } { -again } Depois, escolha essa conta.
    .title = Era esperada outra Conta do Google
wrong-browser = Este login voltou para um navegador diferente daquele em que o link foi aberto, por isso não foi usado. Abra novamente o link que você recebeu, no navegador em que você vai fazer login.
    .title = Abra o link no navegador em que você faz login
continue-refused = Esta página só funciona quando é aberta pelo link que você recebeu, no mesmo navegador. Abra o link novamente.
    .title = Abra o link que você recebeu
rate-limited = Aguarde um minuto e tente novamente.
    .title = Muitas solicitações
not-found = Não há nada neste endereço.
    .title = Não encontrado
uri-too-long = Este endereço é longo demais para ser válido.
    .title = Endereço longo demais
headers-too-large = Os cabeçalhos da solicitação são grandes demais.
    .title = Solicitação grande demais

## A mensagem pronta para enviar (message.txt ao lado deste arquivo): assunto e partes inseridas

message-subject = { $brand }: conecte sua Conta do Google para { $tenant }
message-access-gmail = enviar e-mails em seu nome (apenas “enviar” do Gmail: não pode ler seus e-mails)
message-access-google-drive = ver, editar, criar e excluir apenas os arquivos do Google Drive que você usa com este app
message-account-email = {" "}Faça login com { $email }.
message-account-domain = {" "}Faça login com sua conta de { $domain }.

## Data e hora

date-time = { $weekday }, { $day } de { $month } de { $year }, às { $time } { $zone }
weekday =
    { $n ->
        [1] segunda-feira
        [2] terça-feira
        [3] quarta-feira
        [4] quinta-feira
        [5] sexta-feira
        [6] sábado
       *[7] domingo
    }
month =
    { $n ->
        [1] janeiro
        [2] fevereiro
        [3] março
        [4] abril
        [5] maio
        [6] junho
        [7] julho
        [8] agosto
        [9] setembro
        [10] outubro
        [11] novembro
       *[12] dezembro
    }

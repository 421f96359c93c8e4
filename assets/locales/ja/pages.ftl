## お客様に表示するページと送信用メッセージ（日本語、です・ます調）。
## 各メッセージの変数は英語のファイルに記載しています。

## すべてのページ

page-title = { $title } – { $brand }
skip-to-content = 本文へ移動
language-menu = 言語
fact-requested-by = 依頼元
fact-for = 対象
footer-support = ご不明な点は{ $brand }までお問い合わせください：
footer-privacy = プライバシーポリシー
footer-terms = 利用規約
revoke = このアクセスは、Googleアカウントでいつでも取り消すことができます：
next-continue = { $host }へ進む
next-back = { $host }に戻る
close-window = このウィンドウは閉じていただいて構いません。
signed-in-as = { $email }でログインしました。

-again = 受け取ったリンクをもう一度開いて、再度お試しください。

## 招待リンクで開くページ

ask = { $brand }が、{ $tenant }のためにGoogleアカウントへのアクセスを求めています。
    .title = Googleアカウントを接続
ask-next = 次に、Googleからログインを求められ、「{ $google_app }」がGoogleアカウントへのアクセスを求めていることが表示されます。
ask-app-name = 「{ $google_app }」は、{ $brand }がGoogleに登録している名前です。
ask-allowed = 「{ $google_app }」に許可される内容：
allow-gmail = あなたに代わってメールを送信する（Gmailの「送信」のみ。メールを読むことはできません）
allow-google-drive = このアプリで使用するGoogleドライブのファイルのみを表示、編集、作成、削除する
allow-identity = あなたの名前とメールアドレスを表示する
ask-account-email = { $email }でログインしてください。
ask-account-domain = { $domain }のアカウントでログインしてください。
ask-continue = Googleへ進む

## Googleの同意画面のあと

connected = { $tenant }のため、{ $brand }がGoogleアカウントに接続されました。
    .title = 接続が完了しました
allowed-now = 「{ $google_app }」に許可された内容：
integration-gmail = Gmail
integration-google-drive = Googleドライブ
connected-partly = { $integration }を接続しました（{ $done }/{ $total }）
connected-all = 接続が完了しました（{ $done }/{ $total }）
next-consent = Googleはアクセスごとに個別に確認します。次は{ $integration }です。
next-consent-continue = { $integration }の接続へ進む
next-consent-open-link = { $integration }も接続するには、受け取ったリンクをもう一度開いてください。
awaiting-approval = ありがとうございます。ログインに使用されたGoogleアカウントが以前に接続されたアカウントと異なるため、{ $tenant }の接続は{ $brand }による確認待ちです。これ以上の操作は必要ありません。
    .title = あと少しです

## 失敗と拒否

link-unknown = このリンクは無効です。リンクが最後までコピーされているかご確認いただくか、{ $brand }に新しいリンクをご依頼ください。
    .title = リンクを認識できません
link-gone =
    { $reason ->
        [used] このリンクはすでにアカウントの接続に使用されています。
        [withdrawn] このリンクは取り消されました。
        [superseded] より新しいリンクでアカウントが接続されました。
        [expired] このリンクは有効期限が切れています。
       *[inactive] この招待は有効ではなくなりました。
    }{ $brand }に新しいリンクをご依頼ください。
    .title = このリンクは無効になりました
not-configured = 現在ログインをご利用いただけません。しばらくしてから再度お試しいただくか、{ $brand }までお問い合わせください。
    .title = 現在ご利用いただけません
internal = この手順を完了できませんでした。{ -again }
    .title = 問題が発生しました
callback-incomplete = このページはGoogleのログインからの応答を必要としますが、その応答が不完全でした。{ -again }
    .title = ログインの応答が不完全です
state-unknown = このログインの応答は認識できないか、有効期限が切れています。{ -again }
    .title = ログインを認識できません
replayed = このログインの応答はすでに使用されています。まだ接続されていない場合は、{ -again }
    .title = このログインはすでに使用されています
flow-expired = ログインに{ $minutes }分以上かかったため、有効期限が切れました。{ -again }
    .title = ログインの有効期限が切れました
denied = アクセスを許可しないことを選択されたため、何も共有されていません。誤って選択された場合は、{ -again }
    .title = アクセスが許可されませんでした
google-error = Googleがログインを完了できませんでした。{ -again }
    .title = Googleから問題が報告されました
google-setup = { $brand }側の設定が原因でGoogleがこのログインを拒否したため、何も共有されていません。{ $brand }にお知らせください。修正された後、受け取ったリンクをもう一度開いてください。
    .title = 設定の修正が必要です
google-busy = Googleで一時的な問題が発生しているため、何も共有されていません。数分待ってから、受け取ったリンクをもう一度開いてください。
    .title = Googleが一時的に利用できません
google-retry = Googleがこのログインの応答を受け付けませんでした（時間がかかりすぎた可能性があります）。何も共有されていません。{ -again }
    .title = Googleがログインを受け付けませんでした
google-code = Googleのエラーコード：{ $code }
exchange-failed = Googleでのログインを完了できませんでした。{ -again }問題が続く場合は、{ $brand }までお問い合わせください。
    .title = ログインを完了できませんでした
no-refresh-token = Googleが継続的なアクセスを許可しませんでした。{ -again }再び発生する場合は、先にGoogleアカウントにアクセスできるアプリから「{ $google_app }」を削除してください（myaccount.google.com/permissions）。
    .title = 継続的なアクセスが許可されませんでした
scope-missing = Googleの画面に表示されるすべての権限が必要ですが、チェックされていないものがありました。{ -again }その際、すべてのチェックボックスをオンにしてください。
    .title = チェックされていない権限があります
wrong-account =
    { $kind ->
        [domain] この招待は{ $expected }のアカウント向けです。
       *[email] この招待は{ $expected }向けです。
    }{ -again }その際、このアカウントを選択してください。
    .title = 別のGoogleアカウントが必要です
wrong-browser = このログインは、リンクを開いたブラウザとは別のブラウザに戻ったため、使用されませんでした。ログインに使用するブラウザで、受け取ったリンクをもう一度開いてください。
    .title = ログインに使用するブラウザでリンクを開いてください
continue-refused = このページは、受け取ったリンクから同じブラウザで開いた場合にのみ機能します。もう一度リンクを開いてください。
    .title = 受け取ったリンクを開いてください
rate-limited = 1分ほど待ってから、もう一度お試しください。
    .title = リクエストが多すぎます
not-found = このアドレスには何もありません。
    .title = ページが見つかりません
uri-too-long = このアドレスは長すぎるため無効です。
    .title = アドレスが長すぎます
headers-too-large = リクエストヘッダーが大きすぎます。
    .title = リクエストが大きすぎます

## 送信用メッセージ（このファイルと同じ場所のmessage.txt）：件名と差し込み部分

message-subject = { $brand }：{ $tenant }のためのGoogleアカウント接続のお願い
message-access-gmail = あなたに代わってメールを送信すること（Gmailの「送信」のみ。メールを読むことはできません）
message-access-google-drive = このアプリで使用するGoogleドライブのファイルのみを表示、編集、作成、削除すること
message-account-email = { $email }でログインしてください。
message-account-domain = { $domain }のアカウントでログインしてください。

## 日時

date-time = { $year }年{ $month }{ $day }日（{ $weekday }） { $time } { $zone }
weekday =
    { $n ->
        [1] 月
        [2] 火
        [3] 水
        [4] 木
        [5] 金
        [6] 土
       *[7] 日
    }
month =
    { $n ->
        [1] 1月
        [2] 2月
        [3] 3月
        [4] 4月
        [5] 5月
        [6] 6月
        [7] 7月
        [8] 8月
        [9] 9月
        [10] 10月
        [11] 11月
       *[12] 12月
    }

"""The patterns of quoted history in an email, in the languages clients write them: attributions
("On ... wrote:"), separators ("-----Original Message-----"), forward markers, quoted header fields,
signatures and mobile signatures.  :mod:`chalicelib.channels.email.reply` applies them.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
# "On <date>, <name> wrote:" and its translations: (how it opens, how it ends). Matched on one line
# or on up to four lines joined, since clients wrap it.
ATTRIBUTIONS = [
    (r"On\b", r"\b(?:wrote|sent|writes)(?:\s*:|\s*-{2,})"),
    (r"Le\b", r"\ba\s+[ée]crit\s*:?"),
    (r"Am\b", r"(?:\bschrieb\b.{0,120}|\bgeschrieben\s*):"),
    (r"Op\b", r"\b(?:schreef|geschreven)\b.{0,120}:"),
    (r"El\b", r"\bescribi[óo]\s*:"),
    (r"Il\b", r"\bha\s+scritto\s*:"),
    (r"(?:Em|No dia)\b", r"\bescreveu\s*:"),
    (r"(?:W dniu|Dnia)\b", r"\bnapisa(?:ł|ła|ł\(a\))\s*:"),
    (r"Dne\b", r"\bnapsal(?:a|\(a\))?\s*:"),
    (r"(?:Den|På|Pä)\b", r"\bskrev\b.{0,120}:"),
    (r"Vào\b", r"\bđã\s+viết\s*:"),
    (r"在", r"(?:写道|寫道)\s*[:：]"),
    (r"\d{4}\s*년", r"작성(?:했습니다)?\s*:"),
]
ATTRIBUTION_ENDS = [
    re.compile(r"^.{0,250}\b(?:wrote|schrieb|skrev|kirjoitti|napisał|napisała|написал|написала|написал\(а\)|"
               r"пишет|yazdı|escribió|escreveu|écrit|ha scritto|napsal|napsala)\s*:\s*$", _I),
    re.compile(r"^.{0,250}(?:写道|寫道|작성)\s*[:：]\s*$"),
    # "15. marts 2026 kl. 11.00 skrev Name <a@b>:" (the verb before the address)
    re.compile(r"^.{0,120}\d.{0,80}\b(?:skrev|wrote|schrieb|kirjoitti|napisał|napisała|написал|написала|escribió|"
               r"escreveu|a écrit|ha scritto|schreef|napsal|napsala)\b.{0,120}@.{0,80}:\s*$", _I),
    # "Name <a@b> kirjoitti 3.3.2026 klo 10.04:", "Name <a@b> schrieb am 3. März 2026 um 10:04:"
    re.compile(r"^.{0,200}@.{0,100}\b(?:wrote|schrieb|skrev|kirjoitti|napisał|napisała|написал|написала|"
               r"yazdı|escribió|escreveu|a écrit|ha scritto|napsal|napsala|schreef)\b.{0,60}\d.{0,30}:\s*$", _I),
]
# Wordings no sentence ends with: a date in the line is enough.  Hungarian: "Name <a@b> ezt írta (időpont:
# 2026. aug. 16., Ke 12:27):", "2026. 01. 05. 14:32 keltezéssel, Name a következőt írta:".
DISTINCT_ENDS = re.compile(r"^.{0,250}(?:\bezt írta\b.{0,80}|\ba következőt írta|keltezéssel.{0,120}írta)\s*:\s*$",
                            _I)
OPENERS = [(re.compile(r"^\s*-*\s*" + start, _I), re.compile(r"^\s*-*\s*" + start + r".{0,300}?" + end
                                                              + r"\s*-*\s*$", _I | re.S))
            for start, end in ATTRIBUTIONS]
# ---- John Smith wrote ----   /   ------On 12/29/2025 17:32 PM, Julius Caesar wrote-----
DASHED = re.compile(r"^\s*-{2,}\s*.{1,200}\b(?:wrote|schrieb|a écrit|escribió|ha scritto|napisał|написал|skrev)"
                     r"\s*:?\s*-{2,}\s*$", _I)
# 2026-10-17 11:28 GMT+03:00 Name <a@b>:   /   12.03.2026, 14:05, "Имя" <a@b.ru>:   /   2026年3月3日(火) 10:04 A <a@b>:
DATE_EMAIL = re.compile(
    r"^\s*(?:\d{4}[-/.年]\s?\d{1,2}[-/.月]\s?\d{1,2}日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}).{0,120}"
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+>*\s*[:：]?\s*$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TIME = re.compile(r"\d{1,2}:\d{2}")

SEPARATOR = re.compile(
    r"^\s*[-=_*]{2,}\s*(?:Original Message|Reply Message|Original message|Antwort Nachricht|Ursprüngliche Nachricht|"
    r"Originalnachricht|Oprindelig meddelelse|Opprinnelig melding|Originalmeddelande|Ursprungligt meddelande|"
    r"Message d'origine|Message original|Mensaje original|Messaggio originale|Mensagem original|"
    r"Oorspronkelijk bericht|Origineel bericht|Oryginalna wiadomość|Wiadomość oryginalna|"
    r"Исходное сообщение|Původní zpráva|Původní e-mail|Alkuperäinen viesti|Orijinal mesaj|Αρχικό μήνυμα|"
    r"Eredeti üzenet|Pesan Asli|原始邮件|原始郵件|元のメッセージ)\s*[-=_*]{2,}\s*$", _I)
FORWARD = re.compile(
    r"^\s*(?:[-=_*]{2,}\s*(?:Forwarded message|Forwarded Message|Weitergeleitete Nachricht|Message transféré|"
    r"Mensaje reenviado|Messaggio inoltrato|Mensagem encaminhada|Doorgestuurd bericht|Videresendt meddelelse|"
    r"Videresendt melding|Vidarebefordrat meddelande|Przekazana wiadomość|Wiadomość przekazana|"
    r"Пересланное сообщение|Přeposlaná zpráva|Välitetty viesti|転送されたメッセージ|转发的邮件)\s*[-=_*]{2,}|"
    r"Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réexpédié\s*:|"
    r"Inicio del mensaje reenviado:|Inizio messaggio inoltrato:|Início da mensagem reencaminhada:)\s*$", _I)
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|vs|vl|i|pd|továbbítás|переслать)\s*:", _I)
# Fields of a quoted header block (Outlook and others), in the languages clients write them.
FROM_FIELDS = ("from", "von", "de", "van", "fra", "från", "od", "от", "da", "lähettäjä", "kimden", "người gửi",
                "差出人", "发件人", "寄件者", "보낸 사람", "afzender", "feladó", "від", "de la", "pošiljatelj")
OTHER_FIELDS = (
    "sent", "date", "to", "cc", "subject", "envoyé", "à", "objet", "gesendet", "datum", "an", "betreff",
    "verzonden", "aan", "onderwerp", "sendt", "til", "emne", "skickat", "till", "ämne", "wysłano", "wysłane",
    "data", "do", "temat", "отправлено", "дата", "кому", "тема", "enviado", "fecha", "para", "asunto", "inviato",
    "a", "oggetto", "assunto", "lähetetty", "vastaanottaja", "aihe", "gönderildi", "tarih", "kime", "konu",
    "gửi", "ngày", "tiêu đề", "đến", "送信日時", "宛先", "件名", "日付", "发送时间", "收件人", "主题", "日期",
    "寄件日期", "收件者", "主旨", "날짜", "받는 사람", "제목", "reply-to", "répondre à", "antwort an",
    "odesláno", "komu", "předmět", "elküldve", "címzett", "tárgy", "dátum", "trimis", "către", "subiect",
    "poslano", "prejemnik", "zadeva", "відправлено", "кому", "тема", "від",
)
FIELD = re.compile(r"^\s*\*?\s*(" + "|".join(sorted((re.escape(f) for f in FROM_FIELDS + OTHER_FIELDS),
                                                               key=len, reverse=True)) + r")\s*\*?\s*[:：]", _I)
UNDERLINE = re.compile(r"^\s*_{8,}\s*$")
SIGNATURE_LINE = re.compile(r"^\s*--\s?$")
MOBILE = re.compile(
    r"^\s*(?:Sent from my\b.{0,60}|Sent from (?:Mail|Outlook|Yahoo Mail|Samsung Mobile|Gmail|ProtonMail)\b.{0,60}|"
    r"Sent (?:via|with) .{0,40}(?:mobile|iPhone|Android|BlackBerry|app).{0,30}|Get Outlook for \w+.{0,80}|"
    r"Von meinem .{1,40} gesendet\.?|Gesendet von meinem .{1,40}|Gesendet mit .{1,40}(?:App|iPhone|Android)\.?|"
    r"Envoyé de mon .{1,40}|Envoyé depuis mon .{1,40}|Enviado desde mi .{1,40}|Enviado do meu .{1,40}|"
    r"Enviado de meu .{1,40}|Inviato da(?:l mio)? .{1,40}|Verzonden (?:vanaf|met) (?:mijn )?.{1,40}|"
    r"Sendt fra min .{1,40}|Skickat från min .{1,40}|Wysłane z (?:mojego )?.{1,40}|Отправлено с .{1,40}|"
    r"Odesláno z .{1,40}|Lähetetty .{0,40}(?:laitteesta|iPhonesta|puhelimesta)|iPhoneから送信|Android から送信|"
    r"Verstuurd (?:vanaf|met|via) (?:mijn )?.{1,40}|.{1,20}에서 보냄|.{1,20}(?:'?[uüiı]mdan|'?dan|'?den) gönderildi|"
    r"Trimis de pe .{1,40}|Poslano z .{1,40}|Skickat från .{1,40}|Sendt fra .{1,40}|"
    r"从我的\s?\S{1,20}发送|发自我的\s?\S{1,20}|寄件自我的\s?\S{1,20}|나의 iPhone에서 보냄)\s*$", _I)

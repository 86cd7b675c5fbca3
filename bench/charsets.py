"""Unlabelled mail bodies in legacy charsets: how many does the fallback chain decode right?

Support Hero's chain (declared -> UTF-8 -> charset-normalizer -> cp1252) against the same chain
without the detector (declared -> UTF-8 -> cp1252). The texts are ours: customer questions in eight
languages, each encoded the way an old mail client would, with no charset label.
Run: ``.venv/bin/python -m bench.charsets``.
"""

from __future__ import annotations

import time

from chalicelib.channels.email.decode import cp1252, decode_text

SAMPLES = [
    ("cp1251", "Здравствуйте! После обновления экспорт отчётов в CSV больше не работает, "
               "файл получается пустым. Подскажите, пожалуйста, что делать?"),
    ("koi8-r", "Добрый день. Мы не можем войти в личный кабинет с утра, пишет \"неверный пароль\", "
               "хотя пароль правильный. Помогите разобраться."),
    ("gbk", "您好，我们公司的账户从今天早上开始无法登录，系统提示密码错误。请尽快帮我们查看一下，谢谢！"),
    ("big5", "您好，我們的帳號從今天早上開始無法登入，系統顯示密碼錯誤。請盡快協助處理，謝謝！"),
    ("shift_jis", "お世話になっております。本日からエクスポート機能が動作しません。"
                  "ファイルが空になってしまいます。ご確認をお願いいたします。"),
    ("euc-kr", "안녕하세요. 오늘 아침부터 로그인이 되지 않습니다. 비밀번호가 틀렸다고 나오는데 "
               "확인 부탁드립니다."),
    ("iso-8859-7", "Καλημέρα σας. Από σήμερα το πρωί δεν μπορούμε να συνδεθούμε στον λογαριασμό μας. "
                   "Μπορείτε να μας βοηθήσετε;"),
    ("cp1250", "Dzień dobry, od dzisiejszego ranka nie możemy się zalogować do konta. "
               "Proszę o pilną pomoc, dziękuję bardzo."),
    ("cp1252", "Bonjour, depuis la mise à jour l’export ne fonctionne plus : le fichier reçu est vide. "
               "Pourriez-vous vérifier ? Merci d’avance, Hélène"),
    ("cp1254", "Merhaba, bu sabahtan beri hesabımıza giriş yapamıyoruz. Şifre yanlış diyor ama doğru. "
               "Yardımcı olabilir misiniz?"),
    ("iso-8859-2", "Dobrý den, od rána se nemůžeme přihlásit k účtu. Prosím o rychlou pomoc, děkuji."),
    ("cp1256", "مرحبا، لا نستطيع تسجيل الدخول إلى حسابنا منذ صباح اليوم. يرجى المساعدة في أسرع وقت."),
]


def without_detector(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return cp1252(data)


def main() -> None:
    chain_right = plain_right = 0
    started = time.perf_counter()
    for codec, text in SAMPLES:
        data = text.encode(codec)
        chain_right += decode_text(data, None)[0] == text
        plain_right += without_detector(data) == text
    per = (time.perf_counter() - started) * 1000 / len(SAMPLES)
    print(f"unlabelled bodies in {len(SAMPLES)} legacy charsets, decoded exactly:")
    print(f"  with charset-normalizer in the chain  {chain_right}/{len(SAMPLES)}")
    print(f"  UTF-8 then cp1252 only                {plain_right}/{len(SAMPLES)}")
    print(f"  ({per:.1f} ms a body with the detector, import included)")


if __name__ == "__main__":
    main()

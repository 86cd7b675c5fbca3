"""Free-mail domains: an address there says nothing about who someone works for, so it never makes them
a customer, and two people there are never linked by their domain."""

from __future__ import annotations

# Free-mail providers: an address there says nothing about a company (and never makes one).
FREE_MAIL = frozenset("""
gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk hotmail.fr live.com live.co.uk msn.com
yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.co.jp ymail.com rocketmail.com icloud.com me.com mac.com aol.com
proton.me protonmail.com protonmail.ch pm.me gmx.com gmx.de gmx.net gmx.at web.de t-online.de mail.com
yandex.ru yandex.com ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru qq.com foxmail.com 163.com 126.com
yeah.net sina.com sohu.com naver.com hanmail.net daum.net zoho.com zohomail.com fastmail.com fastmail.fm hey.com
tutanota.com tuta.io posteo.de mailbox.org seznam.cz wp.pl o2.pl onet.pl interia.pl libero.it virgilio.it
orange.fr wanadoo.fr free.fr laposte.net sfr.fr btinternet.com sky.com comcast.net verizon.net att.net
sbcglobal.net rediffmail.com uol.com.br bol.com.br terra.com.br
""".split())


def is_free_mail(domain: str) -> bool:
    return domain.lower().strip(".") in FREE_MAIL

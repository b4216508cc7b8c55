"""What a password must be: long enough, and not easy to guess.

Length alone let through `aaaaaaaaaa`, `1234567890` and the user name. The strength estimate is
zxcvbn (Dropbox's estimator, Python port `zxcvbn` on PyPI, MIT): it knows the common-password
lists, English words and names, keyboard rows, repeats, sequences and dates, and how many guesses
each would take. A password needs its score 3 or more ("safely unguessable", about 10^8 guesses):
with argon2 hashes and throttled sign-in, far beyond what an attacker can try. Obvious cases get
their own message first, so the user reads why in plain words.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from services.errors import InvalidInput

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MIN_SCORE = 3
_ESTIMATE_CHARS = 72  # zxcvbn refuses longer input; the first 72 characters must be strong on their own

# zxcvbn's kinds of weak pieces, said in Chinese (its own feedback is English only).
_WHY = {
    "passwords": "是常见密码或与常见密码相近",
    "user_inputs": "包含用户名或姓名",
    "english_wikipedia": "主要由常见英文单词组成",
    "us_tv_and_film": "主要由常见英文单词组成",
    "female_names": "主要由常见人名组成",
    "male_names": "主要由常见人名组成",
    "surnames": "主要由常见人名组成",
    "spatial": "包含键盘上相邻的按键（如 qwerty、1q2w3e）",
    "repeat": "包含重复的字符或片段（如 aaa、abcabc）",
    "sequence": "包含连续的字母或数字（如 abc、6543）",
    "date": "包含日期",
    "regex": "包含年份",
}


def _simple(text: str) -> str:
    """Lower case without separators: `Zhang.San` and `zhangsan` are the same name here."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _is_sequence(text: str) -> bool:
    """`1234567890`, `9876543210`, `abcdefghij`: a run along the digits or the alphabet (either way,
    going round: 8, 9, 0, 1 …)."""
    text = text.lower()
    for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz"):
        ring = alphabet * (len(text) // len(alphabet) + 2)
        if text in ring or text in ring[::-1]:
            return True
    return False


def check_password_rules(password: str, *, username: str = "", display_name: str = "") -> None:
    """Raise InvalidInput saying, in Chinese, why `password` is not acceptable for this account."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"密码不能超过 {MAX_PASSWORD} 个字符")
    if password.strip() != password:
        raise InvalidInput("密码首尾不能有空格")
    if len(set(password)) == 1:
        raise InvalidInput("密码不能全部是同一个字符")
    if _is_sequence(password):
        raise InvalidInput("密码不能是连续的字母或数字（如 1234567890、abcdefghij）")
    simple = _simple(password)
    for own, what in ((username, "用户名"), (display_name, "姓名")):
        own_simple = _simple(own)
        if len(own_simple) >= 2 and own_simple in simple:
            raise InvalidInput(f"密码不能包含{what}")
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[u for u in (username, display_name) if u])
    if result["score"] < MIN_SCORE:
        reasons: list[str] = []
        for match in result["sequence"]:
            why = _WHY.get(match.get("dictionary_name") or match["pattern"])
            if why and why not in reasons:
                reasons.append(why)
        said = f"：{'，'.join(reasons)}" if reasons else ""
        raise InvalidInput(
            f"密码太容易被猜到{said}。请换一个更长、更不规则的密码，例如几个不相关的词语加上数字或符号。"
        )


RULES_TEXT = f"密码至少 {MIN_PASSWORD} 位，不能是常见密码、连续或重复的字符，也不能包含用户名或姓名"

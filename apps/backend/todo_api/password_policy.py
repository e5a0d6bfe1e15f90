"""Which new passwords are refused: NIST SP 800-63B Rev. 4 (2025), for a password that is the only
factor. At least 15 characters, at least 64 accepted (we take up to 256), any characters (spaces
and emoji included), no composition rules. Refused, with the reason: common or breached passwords
(the 30,000 most common from the zxcvbn package, matched case-insensitively, also with digits or
symbols around them), repetitions and keyboard or alphabet runs, and passwords equal to or built
from the account's email. Existing accounts are not re-checked: login never applies this policy.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 15
MAX_LENGTH = 256
# Left after the email's parts are taken out, a password must still have this many letters/digits.
MIN_OWN_CHARACTERS = 8
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_REPEATED = re.compile(r"(.+?)\1+", re.S)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_NOT_ALNUM = re.compile(r"[\W_]+")


@cache
def common_passwords() -> frozenset[str]:
    """The zxcvbn package's list of the 30,000 most common passwords (from breach corpora).

    Read from the package's data module alone: importing it the usual way runs the package's
    __init__, whose matcher builds ranked dictionaries of every word list (names, Wikipedia, TV
    words) that this check never uses; that held ~16 MB for the life of the process, this ~6 MB."""
    package = importlib.util.find_spec("zxcvbn")
    locations = package.submodule_search_locations if package else None
    if not locations:
        raise RuntimeError("the zxcvbn package (common password list) is not installed")
    path = Path(locations[0]) / "frequency_lists.py"
    spec = importlib.util.spec_from_file_location("zxcvbn_frequency_lists", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"zxcvbn's password list is missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.FREQUENCY_LISTS["passwords"])


def _is_run(text: str) -> bool:
    return len(text) >= 4 and any(text in run * 2 or text in run[::-1] * 2 for run in _RUNS)


def problem(password: str, email: str | None = None) -> str | None:
    """Why `password` is refused for a new account (a sentence for the user), or None."""
    if len(password) < MIN_LENGTH:
        return (
            f"must be at least {MIN_LENGTH} characters (it has {len(password)}); "
            "a few unrelated words make a long password that is easy to remember"
        )
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters (it has {len(password)})"
    folded = password.casefold()
    squeezed = "".join(folded.split())
    if not squeezed or _REPEATED.fullmatch(squeezed) or _is_run(squeezed):
        return "is a repetition or a keyboard/alphabet sequence; choose something less predictable"
    common = common_passwords()
    core = _EDGES.sub("", squeezed)
    if squeezed in common or (len(core) >= 4 and core in common) or _REPEATED.fullmatch(core or "x"):
        return "is too common (it appears in lists of breached passwords); choose another"
    if email:
        email = email.casefold()
        if email in folded:
            return "must not contain your email address"
        rest = folded
        local, _, domain = email.partition("@")
        parts = [local, *re.split(r"[._+-]", local), *domain.split(".")]
        for part in sorted({p for p in parts if len(p) >= 3}, key=len, reverse=True):
            rest = rest.replace(part, "")
        if len(_NOT_ALNUM.sub("", rest)) < MIN_OWN_CHARACTERS:
            return "is built from your email address; choose something unrelated to it"
    return None

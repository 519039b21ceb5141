"""Editor accounts: hashed credentials, sessions that expire, rate-limited sign-in.

Browsing the app is open; changing data (imports, reported indicator values,
project sites, saved scenarios) needs a signed-in editor. This module holds the
library side of that rule and never touches Streamlit (see :mod:`ui.auth`).

- **Credentials** live in a TOML (or ``.json``) file *outside the repository*:
  ``CYC_GEO_AUTH_FILE``, default ``~/.config/cyc-geo/editors.toml``. Only
  Argon2id hashes are stored (argon2-cffi defaults, which follow the RFC 9106
  "second recommended option": t=3, m=64 MiB, p=4). The file is written with
  mode 0600, atomically.

  TOML layout::

      [editors."alice"]
      hash = "$argon2id$v=19$m=65536,t=3,p=4$..."
      created = "2026-11-25T12:00:00+00:00"

- **Sessions** are ``{"user": name, "expires": unix_time}``; past ``expires``
  the session counts as anonymous.
- **Rate limit**: every attempt is stored in the ``signin_attempts`` table; after
  :data:`MAX_FAILURES` failures of one user name within :data:`WINDOW_S`, further
  attempts are refused (without checking the password) until the oldest failure
  leaves the window. Counting and recording are one ``BEGIN IMMEDIATE`` transaction:
  an attempt is recorded as a failure *before* its password is checked (and turned into a
  success after), so parallel attempts can never check more passwords than the limit.
  At most :data:`MAX_CONCURRENT_HASHES` Argon2 checks (64 MiB each) run at once.
- **No passwords in the database**: a user name that is not an editor account (often a
  password typed into the wrong field) is stored only as a keyed hash (:func:`attempt_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cyc_geo import db
from cyc_geo.paths import write_atomic

SESSION_TTL_S: float = float(os.environ.get("CYC_GEO_SESSION_HOURS", "8")) * 3600.0
"""Absolute session lifetime; 8 h follows the OWASP Session Management Cheat Sheet
(absolute timeouts of 4-8 hours for typical office applications). ``CYC_GEO_SESSION_HOURS`` overrides."""

MAX_FAILURES: int = 5
"""Failed attempts per user name allowed inside :data:`WINDOW_S` (OWASP Authentication
Cheat Sheet: lock or throttle after a small number of failures; NIST SP 800-63B 5.2.2 caps at 100)."""

WINDOW_S: float = 15 * 60.0
"""Sliding window for counting failures (15 minutes, a common OWASP example value)."""

MIN_PASSWORD_LEN: int = 8
"""Minimum password length (NIST SP 800-63B 5.1.1.2: at least 8 characters)."""

USERNAME_RE = re.compile(r"^[\w.\-@]{1,64}$")
"""User names: letters (incl. Chinese), digits, ``_ . - @``; 1-64 characters."""

MAX_CONCURRENT_HASHES: int = 2
"""Argon2 checks allowed at once per process; each takes 64 MiB (docs/sources.md, "Security defaults"),
so 50 parallel attempts stay at 128 MiB instead of 3 GB. Further checks wait their turn."""

_HASH_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
_ATTEMPT_KEY = secrets.token_bytes(32)
"""Per-process key of :func:`attempt_key` (unknown names are never stored in clear)."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("cyc-geo dummy password for timing equalisation")


class AuthError(ValueError):
    """A user-fixable account problem (bad name, short password, unknown user)."""


@dataclass(frozen=True)
class SigninResult:
    """Outcome of :func:`sign_in`. ``reason`` is one of ok / bad_credentials / rate_limited."""

    ok: bool
    reason: str
    retry_after_s: float = 0.0
    session: dict[str, Any] | None = None

    def message(self) -> tuple[str, str]:
        """User-facing (Chinese, English) message."""
        if self.ok:
            return ("登录成功", "Signed in")
        if self.reason == "rate_limited":
            minutes = max(1, int(round(self.retry_after_s / 60.0)))
            return (
                f"登录失败次数过多，请 {minutes} 分钟后再试",
                f"Too many failed sign-ins; try again in {minutes} min",
            )
        return ("用户名或密码错误", "Wrong user name or password")


# ---------------------------------------------------------------- credential file


def auth_file() -> Path:
    """Credential file: ``CYC_GEO_AUTH_FILE``, default ``~/.config/cyc-geo/editors.toml``."""
    env = os.environ.get("CYC_GEO_AUTH_FILE")
    return Path(env).expanduser() if env else Path.home() / ".config" / "cyc-geo" / "editors.toml"


def load_editors(path: Path | None = None) -> dict[str, dict[str, str]]:
    """``{name: {"hash": ..., "created": ...}}`` from the credential file (empty if missing)."""
    path = Path(path or auth_file())
    if not path.exists():
        return {}
    raw = path.read_bytes()
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuthError(f"credential file {path} is not valid: {exc}") from exc
    editors = data.get("editors", {})
    if not isinstance(editors, dict):
        raise AuthError(f"credential file {path}: 'editors' must be a table")
    return {str(k): dict(v) for k, v in editors.items() if isinstance(v, dict) and "hash" in v}


def _toml_str(value: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def save_editors(editors: dict[str, dict[str, str]], path: Path | None = None) -> Path:
    """Write the credential file atomically with mode 0600."""
    path = Path(path or auth_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        text = json.dumps({"editors": editors}, ensure_ascii=False, indent=2)
    else:
        lines = ["# cyc-geo editor accounts (argon2id hashes); managed by `python -m cyc_geo user`", ""]
        for name in sorted(editors):
            lines.append(f"[editors.{_toml_str(name)}]")
            for key, value in editors[name].items():
                lines.append(f"{key} = {_toml_str(str(value))}")
            lines.append("")
        text = "\n".join(lines)
    return write_atomic(path, text.encode("utf-8"), 0o600)


def validate_username(name: str) -> str:
    name = (name or "").strip()
    if not USERNAME_RE.match(name):
        raise AuthError(f"invalid user name {name!r}: use 1-64 letters, digits, _ . - @")
    return name


def add_user(name: str, password: str, path: Path | None = None, replace: bool = False) -> None:
    """Create (or with ``replace`` reset the password of) an editor account."""
    name = validate_username(name)
    if len(password or "") < MIN_PASSWORD_LEN:
        raise AuthError(f"password must have at least {MIN_PASSWORD_LEN} characters")
    editors = load_editors(path)
    if name in editors and not replace:
        raise AuthError(f"user {name!r} already exists (use --replace to set a new password)")
    editors[name] = {"hash": _HASHER.hash(password), "created": db.now_iso()}
    save_editors(editors, path)


def remove_user(name: str, path: Path | None = None) -> None:
    editors = load_editors(path)
    if name not in editors:
        raise AuthError(f"unknown user {name!r}")
    del editors[name]
    save_editors(editors, path)


def list_users(path: Path | None = None) -> list[dict[str, str]]:
    """Editor names and creation times (never the hashes)."""
    return [{"user": n, "created": e.get("created", "")} for n, e in sorted(load_editors(path).items())]


# ---------------------------------------------------------------- sign-in


def check_password(name: str, password: str, path: Path | None = None) -> bool:
    """True if ``password`` matches ``name``'s stored hash. Unknown users cost one hash too."""
    entry = load_editors(path).get(name)
    stored = entry["hash"] if entry else _DUMMY_HASH
    try:
        with _HASH_SLOTS:
            ok = _HASHER.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and entry is None:
        return False
    if ok and _HASHER.check_needs_rehash(stored):
        editors = load_editors(path)
        editors[name]["hash"] = _HASHER.hash(password)
        save_editors(editors, path)
    return bool(ok)


def recent_failures(conn: sqlite3.Connection, name: str, now: float | None = None) -> list[float]:
    """Times of failed attempts for ``name`` inside the rate-limit window, oldest first."""
    now = time.time() if now is None else now
    rows = conn.execute(
        "SELECT at FROM signin_attempts WHERE username = ? AND ok = 0 AND at > ? ORDER BY at",
        (name, now - WINDOW_S),
    ).fetchall()
    return [float(r[0]) for r in rows]


def attempt_key(name: str, path: Path | None = None) -> str:
    """What ``signin_attempts.username`` holds for a typed user name.

    An editor's name is stored as is (the audit needs it); any other text - often a
    password typed into the user-name field - only as ``"?" + HMAC-SHA256`` under a
    per-process random key (16 hex digits): attempts with one unknown name are still
    counted together, and nothing typed can be read back from the database.
    """
    if name in load_editors(path):
        return name
    return "?" + hmac.new(_ATTEMPT_KEY, name.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _reserve_attempt(conn: sqlite3.Connection, key: str, now: float) -> tuple[int | None, float]:
    """Count recent failures and record this attempt in one transaction.

    Returns ``(row id, 0)`` for an attempt that may check its password (recorded as a
    failure until :func:`sign_in` marks it ok), or ``(None, retry_after_s)`` when locked.
    """
    with db.transaction(conn):
        failures = recent_failures(conn, key, now)
        if len(failures) >= MAX_FAILURES:
            retry = failures[len(failures) - MAX_FAILURES] + WINDOW_S - now
            # ok = -1: refused without a password check; not counted as a failure,
            # so retrying while locked does not extend the lock.
            conn.execute("INSERT INTO signin_attempts(username, at, ok) VALUES (?,?,-1)", (key, now))
            return None, max(retry, 1.0)
        cur = conn.execute("INSERT INTO signin_attempts(username, at, ok) VALUES (?,?,0)", (key, now))
        return int(cur.lastrowid), 0.0


def sign_in(
    conn: sqlite3.Connection,
    name: str,
    password: str,
    now: float | None = None,
    path: Path | None = None,
) -> SigninResult:
    """Check credentials with rate limiting and record the attempt; returns a session on success.

    Safe under parallel calls (threads sharing ``conn``, or several processes): the
    failure count and the attempt's record are one transaction, so at most
    :data:`MAX_FAILURES` passwords are checked per user name and window.
    """
    now = time.time() if now is None else now
    name = (name or "").strip()[:64]
    key = attempt_key(name, path)
    row, retry = _reserve_attempt(conn, key, now)
    if row is None:
        return SigninResult(False, "rate_limited", retry_after_s=retry)
    ok = check_password(name, password, path)
    if not ok:
        return SigninResult(False, "bad_credentials")
    with db.transaction(conn):
        conn.execute("UPDATE signin_attempts SET ok = 1 WHERE id = ?", (row,))
        db.audit(conn, name, "session", name, "sign_in", None, None)
    return SigninResult(True, "ok", session=new_session(name, now))


def new_session(name: str, now: float | None = None, ttl_s: float | None = None) -> dict[str, Any]:
    """A session record ``{"user", "expires"}`` valid for ``ttl_s`` (default :data:`SESSION_TTL_S`)."""
    now = time.time() if now is None else now
    return {"user": name, "expires": float(now + (SESSION_TTL_S if ttl_s is None else ttl_s))}


def session_user(session: Any, now: float | None = None) -> str | None:
    """The user of a session record, or None if it is missing, malformed or expired."""
    if not isinstance(session, dict):
        return None
    user, expires = session.get("user"), session.get("expires")
    if not isinstance(user, str) or not user:
        return None
    try:
        expires_f = float(expires)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return user if now < expires_f else None


PERMISSION_MESSAGE = (
    "需要编辑账号登录后才能修改数据 / Sign in as an editor to change data"
)


# ---------------------------------------------------------------- sign-in that survives a reload

SESSION_COOKIE = "cyc_geo_session"
"""Name of the browser cookie holding the signed session token (see :func:`session_token`)."""

_TOKEN_SALT = "cyc-geo editor session v1"


def session_secret(path: Path | None = None) -> bytes:
    """The server's secret for signing session tokens: ``CYC_GEO_SESSION_SECRET``, else a random
    32-byte key kept (mode 0600) beside the credential file as ``session.key``, created on first use.

    A new key (deleted file) signs everyone out.
    """
    env = os.environ.get("CYC_GEO_SESSION_SECRET")
    if env:
        return env.encode("utf-8")
    key_file = path or auth_file().with_name("session.key")
    if key_file.exists():
        return key_file.read_bytes()
    import secrets as _secrets

    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".session.key.")
    try:
        os.write(fd, _secrets.token_bytes(32))
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, key_file)  # first writer wins; a concurrent one reads that key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return key_file.read_bytes()


def _serializer(secret: bytes | None = None):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret or session_secret(), salt=_TOKEN_SALT)


def session_token(session: dict[str, Any], secret: bytes | None = None) -> str:
    """A signed, timestamped token of a session record (``{"user", "expires"}``) for a browser cookie.

    Signed with HMAC (itsdangerous ``URLSafeTimedSerializer``); it carries no password or hash.
    """
    return _serializer(secret).dumps({"u": session["user"], "e": float(session["expires"])})


def session_from_token(token: Any, now: float | None = None, secret: bytes | None = None,
                       path: Path | None = None) -> dict[str, Any] | None:
    """The session record of a valid token, or None (missing, tampered, expired, or the user is no editor now).

    A token is valid for at most :data:`SESSION_TTL_S` after it was signed and never past its
    session's ``expires``: the browser keeping the cookie does not extend a session.
    """
    from itsdangerous import BadSignature

    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    now = time.time() if now is None else now
    try:
        data, signed_at = _serializer(secret).loads(token, return_timestamp=True)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or now - signed_at.timestamp() > SESSION_TTL_S + 60:
        return None
    session = {"user": data.get("u"), "expires": data.get("e")}
    if session_user(session, now) is None:
        return None
    try:
        if session["user"] not in load_editors(path):
            return None
    except Exception:  # noqa: BLE001 - an unreadable credential file signs nobody in
        return None
    return session

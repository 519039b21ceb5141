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

- **Sessions** are ``{"user": name, "expires": unix_time, "sid": id}``; past ``expires``
  the session counts as anonymous. Each one is also a row of the ``editor_sessions`` table
  (:func:`start_session`), so a sign-out revokes it for every process sharing the database
  (:func:`revoke_session`; a revoked token is refused by :func:`session_from_token`). Rows past
  their expiry are deleted at the next sign-in.
- **Throttling, not locking** (:func:`sign_in`): every attempt is stored in the ``signin_attempts``
  table with its source (the client address, :func:`client_source`). After
  :data:`SOURCE_FREE_FAILURES` failures from one source within :data:`WINDOW_S`, that source waits
  :func:`backoff_s` (15 s, doubling per further failure, at most 15 min) before its next attempt;
  after :data:`ACCOUNT_FREE_FAILURES` consecutive failures of one account (from any sources) the
  account gets the same back-off. A visitor can therefore slow down only their own source: the
  right password from another source still signs in (docs/sources.md, "Sign-in throttling").
  Counting and recording are one ``BEGIN IMMEDIATE`` transaction: an attempt is recorded as a
  failure *before* its password is checked (and turned into a success after), so parallel
  attempts can never check more passwords than the rule allows.
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

SOURCE_FREE_FAILURES: int = 5
"""Failed attempts from one source (client address) inside :data:`WINDOW_S` before its back-off starts
(OWASP Authentication Cheat Sheet: throttle after a small number of failures, prefer back-off to lockout)."""

MAX_FAILURES: int = SOURCE_FREE_FAILURES
"""Passwords checked from one source before it is throttled (alias kept for callers and tests)."""

ACCOUNT_FREE_FAILURES: int = 100
"""Consecutive failed attempts of one account (all sources) before the account's back-off starts:
NIST SP 800-63B 5.2.2 caps consecutive failures per account at 100. One source cannot reach it
(its own back-off allows about 10 attempts per window), so a lone visitor never slows an editor."""

BACKOFF_BASE_S: float = 15.0
"""First wait after the free failures; each further failure doubles it (exponential back-off)."""

WINDOW_S: float = 15 * 60.0
"""Window for counting failures, and the longest back-off (15 minutes, a common OWASP example value)."""

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
            if self.retry_after_s < 90:
                secs = max(1, int(round(self.retry_after_s)))
                return (f"登录失败次数过多，请 {secs} 秒后再试", f"Too many failed sign-ins; try again in {secs} s")
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
    """Times of failed attempts for ``name`` (an :func:`attempt_key`) inside the window, oldest first."""
    now = time.time() if now is None else now
    rows = conn.execute(
        "SELECT at FROM signin_attempts WHERE username = ? AND ok = 0 AND at > ? ORDER BY at",
        (name, now - WINDOW_S),
    ).fetchall()
    return [float(r[0]) for r in rows]


def _account_failures(conn: sqlite3.Connection, key: str, now: float) -> list[float]:
    """Failures of one account inside the window since its last successful sign-in (consecutive ones)."""
    last_ok = conn.execute("SELECT MAX(at) FROM signin_attempts WHERE username = ? AND ok = 1", (key,)).fetchone()[0]
    since = max(now - WINDOW_S, float(last_ok) if last_ok is not None else -1.0)
    rows = conn.execute(
        "SELECT at FROM signin_attempts WHERE username = ? AND ok = 0 AND at > ? ORDER BY at", (key, since)
    ).fetchall()
    return [float(r[0]) for r in rows]


def _source_failures(conn: sqlite3.Connection, source: str, now: float) -> list[float]:
    """Failures from one source (any user name) inside the window."""
    rows = conn.execute(
        "SELECT at FROM signin_attempts WHERE source = ? AND ok = 0 AND at > ? ORDER BY at",
        (source, now - WINDOW_S),
    ).fetchall()
    return [float(r[0]) for r in rows]


def backoff_s(failures: int, free: int) -> float:
    """Seconds to wait after the last failure: 0 below ``free`` failures, then :data:`BACKOFF_BASE_S`
    doubling per further failure, at most :data:`WINDOW_S` (docs/sources.md, "Sign-in throttling")."""
    if failures < free:
        return 0.0
    return min(BACKOFF_BASE_S * 2.0 ** min(failures - free, 30), WINDOW_S)


def _wait_s(failures: list[float], free: int, now: float) -> float:
    if len(failures) < free:
        return 0.0
    return failures[-1] + backoff_s(len(failures), free) - now


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


TRUSTED_PROXIES: frozenset[str] = frozenset(
    a.strip() for a in os.environ.get("CYC_GEO_TRUSTED_PROXIES", "127.0.0.1,::1").split(",") if a.strip()
)
"""Addresses whose ``X-Forwarded-For`` is believed: the nginx of ``deploy.replicas`` runs on the same
host (loopback). ``CYC_GEO_TRUSTED_PROXIES`` (comma-separated) overrides."""


def client_source(remote: str | None, forwarded_for: str | None = None,
                  trusted: frozenset[str] | None = None) -> str:
    """The client address an attempt is throttled by.

    ``remote`` is the address of the TCP peer. Only when that peer is a trusted proxy is
    ``X-Forwarded-For`` read, from the right: the first address that is not itself a trusted
    proxy is the client (entries further left were written by the client and can be forged).
    """
    trusted = TRUSTED_PROXIES if trusted is None else trusted
    remote = (remote or "").strip()
    if remote in trusted and forwarded_for:
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if hop not in trusted:
                return hop[:64]
    return remote[:64]


def _reserve_attempt(conn: sqlite3.Connection, key: str, source: str, now: float) -> tuple[int | None, float]:
    """Check both back-offs and record this attempt in one transaction.

    Returns ``(row id, 0)`` for an attempt that may check its password (recorded as a
    failure until :func:`sign_in` marks it ok), or ``(None, retry_after_s)`` while throttled.
    """
    with db.transaction(conn):
        wait = max(
            _wait_s(_source_failures(conn, source, now), SOURCE_FREE_FAILURES, now),
            _wait_s(_account_failures(conn, key, now), ACCOUNT_FREE_FAILURES, now),
        )
        if wait > 0:
            # ok = -1: refused without a password check; not counted as a failure,
            # so retrying while throttled does not lengthen the wait.
            conn.execute("INSERT INTO signin_attempts(username, at, ok, source) VALUES (?,?,-1,?)",
                         (key, now, source))
            return None, max(wait, 1.0)
        cur = conn.execute("INSERT INTO signin_attempts(username, at, ok, source) VALUES (?,?,0,?)",
                           (key, now, source))
        row_id = cur.lastrowid
        assert row_id is not None  # sqlite3 sets it after an INSERT
        return row_id, 0.0


def sign_in(
    conn: sqlite3.Connection,
    name: str,
    password: str,
    now: float | None = None,
    path: Path | None = None,
    source: str = "",
) -> SigninResult:
    """Check credentials with throttling, record the attempt, and on success start a server-side session.

    ``source`` is the client address (:func:`client_source`; empty when unknown). Safe under
    parallel calls (threads sharing ``conn``, or several processes): the failure counts and the
    attempt's record are one transaction, so at most :data:`SOURCE_FREE_FAILURES` passwords are
    checked per source before its back-off.
    """
    now = time.time() if now is None else now
    name = (name or "").strip()[:64]
    key = attempt_key(name, path)
    row, retry = _reserve_attempt(conn, key, source or "", now)
    if row is None:
        return SigninResult(False, "rate_limited", retry_after_s=retry)
    ok = check_password(name, password, path)
    if not ok:
        return SigninResult(False, "bad_credentials")
    with db.transaction(conn):
        conn.execute("UPDATE signin_attempts SET ok = 1 WHERE id = ?", (row,))
        db.audit(conn, name, "session", name, "sign_in", None, None)
    return SigninResult(True, "ok", session=start_session(conn, name, now))


def new_session(name: str, now: float | None = None, ttl_s: float | None = None) -> dict[str, Any]:
    """A session record ``{"user", "expires"}`` valid for ``ttl_s`` (default :data:`SESSION_TTL_S`).

    Kept only in the server's memory; a record for a browser cookie comes from :func:`start_session`."""
    now = time.time() if now is None else now
    return {"user": name, "expires": float(now + (SESSION_TTL_S if ttl_s is None else ttl_s))}


def start_session(conn: sqlite3.Connection, name: str, now: float | None = None,
                  ttl_s: float | None = None) -> dict[str, Any]:
    """A new session ``{"user", "expires", "sid"}`` stored in ``editor_sessions`` (so it can be revoked).

    Rows expired for more than a minute are deleted in the same transaction (the table stays small)."""
    now = time.time() if now is None else now
    session = {**new_session(name, now, ttl_s), "sid": secrets.token_urlsafe(24)}
    with db.transaction(conn):
        conn.execute("DELETE FROM editor_sessions WHERE expires < ?", (now - 60.0,))
        conn.execute("INSERT INTO editor_sessions(sid, user, created, expires) VALUES (?,?,?,?)",
                     (session["sid"], name, now, session["expires"]))
    return session


def revoke_session(conn: sqlite3.Connection, session: Any, now: float | None = None) -> bool:
    """Revoke a session (sign-out): its token is refused from now on, by every process. True if revoked."""
    sid = session.get("sid") if isinstance(session, dict) else None
    if not isinstance(sid, str) or not sid:
        return False
    now = time.time() if now is None else now
    with db.transaction(conn):
        cur = conn.execute("UPDATE editor_sessions SET revoked = ?, handoff = NULL WHERE sid = ? AND revoked IS NULL",
                           (now, sid))
        if cur.rowcount:
            db.audit(conn, str(session.get("user", "")), "session", str(session.get("user", "")), "sign_out",
                     None, None)
    return bool(cur.rowcount)


def session_active(conn: sqlite3.Connection, session: Any, now: float | None = None) -> bool:
    """True if ``session`` has a stored row for the same user that is neither revoked nor expired."""
    sid = session.get("sid") if isinstance(session, dict) else None
    if not isinstance(sid, str) or not sid:
        return False
    now = time.time() if now is None else now
    row = conn.execute("SELECT user, expires, revoked FROM editor_sessions WHERE sid = ?", (sid,)).fetchone()
    return bool(row) and row[0] == session.get("user") and row[2] is None and float(row[1]) > now


HANDOFF_TTL_S: float = 60.0
"""Life of the one-time code the browser exchanges for its HttpOnly session cookie (ui.session_cookie)."""


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def handoff_code(conn: sqlite3.Connection, session: dict[str, Any], now: float | None = None) -> str:
    """A one-time code (valid :data:`HANDOFF_TTL_S`) that :func:`redeem_handoff` turns into ``session``.

    Only its SHA-256 is stored. The page hands the code (never the token) to the browser, which
    posts it to the server's cookie endpoint; the token itself only ever travels in ``Set-Cookie``.
    """
    now = time.time() if now is None else now
    code = secrets.token_urlsafe(32)
    with db.transaction(conn):
        conn.execute("UPDATE editor_sessions SET handoff = ?, handoff_expires = ? WHERE sid = ? AND revoked IS NULL",
                     (_digest(code), now + HANDOFF_TTL_S, session["sid"]))
    return code


def redeem_handoff(conn: sqlite3.Connection, code: Any, now: float | None = None) -> dict[str, Any] | None:
    """The session of a valid, unused, unexpired handoff code (the code is used up), else None."""
    if not isinstance(code, str) or not 10 <= len(code) <= 256:
        return None
    now = time.time() if now is None else now
    with db.transaction(conn):
        row = conn.execute(
            "SELECT sid, user, expires FROM editor_sessions WHERE handoff = ? AND handoff_expires > ?"
            " AND revoked IS NULL AND expires > ?", (_digest(code), now, now)).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE editor_sessions SET handoff = NULL, handoff_expires = NULL WHERE sid = ?", (row[0],))
    return {"user": row[1], "expires": float(row[2]), "sid": row[0]}


def session_user(session: Any, now: float | None = None) -> str | None:
    """The user of a session record, or None if it is missing, malformed or expired."""
    if not isinstance(session, dict):
        return None
    user, expires = session.get("user"), session.get("expires")
    if not isinstance(user, str) or not user:
        return None
    if not isinstance(expires, (int, float, str)):
        return None
    try:
        expires_f = float(expires)
    except ValueError:
        return None
    now = time.time() if now is None else now
    return user if now < expires_f else None


PERMISSION_MESSAGE = (
    "需要编辑账号登录后才能修改数据 / Sign in as an editor to change data"
)


# ---------------------------------------------------------------- sign-in that survives a reload

SESSION_COOKIE = "cyc_geo_session"
"""Name of the browser cookie holding the signed session token (see :func:`session_token`)."""

_TOKEN_SALT = "cyc-geo editor session v2"


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
    """A signed, timestamped token of a stored session (``{"user", "expires", "sid"}``) for a browser cookie.

    Signed with HMAC (itsdangerous ``URLSafeTimedSerializer``); it carries no password or hash.
    """
    return _serializer(secret).dumps({"u": session["user"], "e": float(session["expires"]), "s": session["sid"]})


def session_from_token(token: Any, now: float | None = None, secret: bytes | None = None,
                       path: Path | None = None, conn: sqlite3.Connection | None = None) -> dict[str, Any] | None:
    """The session record of a valid token, or None (missing, tampered, expired, signed out, or the user
    is no editor now).

    A token is valid for at most :data:`SESSION_TTL_S` after it was signed and never past its
    session's ``expires``: the browser keeping the cookie does not extend a session. Its session must
    still be stored and not revoked (:func:`session_active`) in ``conn`` (default: a connection to the
    project database, :func:`cyc_geo.db.connect`).
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
    session = {"user": data.get("u"), "expires": data.get("e"), "sid": data.get("s")}
    if session_user(session, now) is None:
        return None
    try:
        if session["user"] not in load_editors(path):
            return None
    except Exception:  # noqa: BLE001 - an unreadable credential file signs nobody in
        return None
    own = conn is None
    conn = db.connect() if conn is None else conn
    try:
        return session if session_active(conn, session, now) else None
    finally:
        if own:
            conn.close()

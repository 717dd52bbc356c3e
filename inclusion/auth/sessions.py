"""Server-side sessions: the cookie carries a random token; the database says if it is live."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Flask, current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from inclusion.auth.models import User, UserSession
from inclusion.extensions import db, login_manager, utcnow
from inclusion.tenancy import Membership

SESSION_KEY = "sid"
# Write last_seen_at at most this often, not on every request.
_TOUCH_EVERY = timedelta(minutes=1)


def clock() -> datetime:
    """The time sessions are judged by; tests replace this to move time on."""
    return utcnow()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> None:
    """Sign the user in with a brand-new session id; any session the cookie held before is
    ended on the server too, so the old cookie opens nothing afterwards."""
    _end_token(session.get(SESSION_KEY))
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=clock(),
            last_seen_at=clock(),
            user_agent=(request.user_agent.string or "")[:200],
        )
    )
    session[SESSION_KEY] = token
    login_user(user)


def end_session() -> None:
    """End this session on the server too, so a copied cookie is useless afterwards."""
    _end_token(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def _end_token(token: object) -> None:
    if isinstance(token, str) and token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all_sessions(user_id: int, *, except_current: bool = False) -> None:
    """End every live session of a user (disabled, password changed); with except_current,
    the session making this request stays signed in."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    token = session.get(SESSION_KEY) if except_current else None
    if isinstance(token, str) and token:
        statement = statement.where(UserSession.token_hash != _hash(token))
    db.session.execute(statement.values(ended_at=utcnow()))


def _expired(live: UserSession, now: datetime) -> bool:
    cfg = current_app.config
    idle = timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    longest = timedelta(hours=cfg["SESSION_MAX_HOURS"])
    return now - live.last_seen_at > idle or now - live.created_at > longest


# Every request reads the session, its user and their memberships afresh (so an ended session
# or a disabled user is refused at once), in one statement: each page needs them all to decide
# access and draw the navigation. Built once; each request binds only the token's hash.
_LIVE_SESSION = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None))
    .options(
        joinedload(UserSession.user).joinedload(User.memberships).joinedload(Membership.partner)
    )
)


def _load_user(user_id: str) -> User | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    live = (
        db.session.scalars(_LIVE_SESSION, {"token_hash": _hash(token)})
        .unique()
        .one_or_none()
    )
    if live is None or str(live.user_id) != user_id:
        return None
    user = live.user
    if not user.active:
        return None
    now = clock()
    if _expired(live, now):
        # Idle too long, or signed in too long ago: end it on the server, ask to sign in again.
        live.ended_at = now
        db.session.commit()
        session.pop(SESSION_KEY, None)
        session.pop("mfa_passed", None)
        g.session_expired = True
        return None
    if now - live.last_seen_at > _TOUCH_EVERY:
        live.last_seen_at = now
        db.session.commit()
    return user


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

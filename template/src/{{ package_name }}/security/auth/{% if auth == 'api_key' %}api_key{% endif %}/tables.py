# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The table of API keys: one row per key ever created, revoked ones included."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ....db.base import Base, utcnow


class ApiKey(Base):
    """A key's public parts and the SHA-256 of the whole key; never the key itself.

    `id` is the principal's subject: what its items belong to. `key_id` is the non-secret part
    of the key that finds this row. Rows are kept after revocation (`revoked_at`), so a name
    is never given to a second key and an audit can tell which key did what.
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

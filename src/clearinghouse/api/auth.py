"""Bearer tokens for the API. Only a token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from clearinghouse.records.models import ApiToken


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user: Any, name: str = "default") -> str:
    """Create a token and return the secret once; it cannot be read back later."""
    key = f"ch_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(user=user, name=name, key_hash=_hash(key))
    return key


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.select_related("user").filter(key_hash=_hash(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


AUTH = [TokenAuth(), django_auth]

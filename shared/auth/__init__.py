"""Who is calling: users' access tokens (Supabase-shaped JWTs, checked against the HS256 secret or
a JWKS), and the local accounts that issue them (argon2id passwords, rotating refresh tokens)."""

from shared.auth.tokens import Claims, TokenError, TokenVerifier, issue_token

__all__ = ["Claims", "TokenError", "TokenVerifier", "issue_token"]

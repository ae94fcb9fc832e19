"""Who is calling: verification of users' access tokens (Supabase-shaped JWTs)."""

from shared.auth.tokens import Claims, TokenError, TokenVerifier, issue_token

__all__ = ["Claims", "TokenError", "TokenVerifier", "issue_token"]

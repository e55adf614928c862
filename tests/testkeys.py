"""The API keys every test database carries: one per role, the viewer bound to account `acme`."""

import secrets

TEST_KEYS = {
    role: f"pts_test_{role}_{secrets.token_urlsafe(16)}" for role in ("admin", "billing", "helpdesk", "viewer")
}

package auth

import "context"

// RevokeElsewhere writes a revocation mark as another process would: in
// Redis only, this process's verified tokens still remembered.
func (r *Revocations) RevokeElsewhere(ctx context.Context, tenantID, userID string) error {
	return r.mark(ctx, tenantID, userID)
}

// RevokeAPIKeyElsewhere writes an API key's revocation mark as another
// process would.
func (r *Revocations) RevokeAPIKeyElsewhere(ctx context.Context, tenantID, keyID string) error {
	return r.markKey(ctx, tenantID, revokedAPIKey(keyID))
}

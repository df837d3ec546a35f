package auth

import "context"

// RevokeElsewhere writes a revocation mark as another process would: in
// Redis only, this process's verified tokens still remembered.
func (r *Revocations) RevokeElsewhere(ctx context.Context, tenantID, userID string) error {
	return r.mark(ctx, tenantID, userID)
}

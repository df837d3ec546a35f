package comms

import "context"

// ReminderPass runs one pass of the reminder scheduler (tests).
func (s *Service) ReminderPass(ctx context.Context) { s.pass(ctx, queueReminders, s.FireReminders) }

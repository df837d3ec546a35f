package events

import (
	"sync"
	"time"
)

// warnEvery is how often a persisting failure (NATS down) is logged.
const warnEvery = 30 * time.Second

// throttle lets a failure that repeats every poll be logged once per
// warnEvery instead of every time, and its end be logged once.
type throttle struct {
	mu         sync.Mutex
	failing    bool
	lastWarn   time.Time
	suppressed int
}

// fail records a failure and reports whether to log it, with how many
// were not logged since the last time.
func (t *throttle) fail() (suppressed int, log bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failing = true
	if time.Since(t.lastWarn) < warnEvery {
		t.suppressed++
		return 0, false
	}
	suppressed, t.suppressed, t.lastWarn = t.suppressed, 0, time.Now()
	return suppressed, true
}

// recover records a success and reports whether it ends a failure.
func (t *throttle) recover() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.failing
	t.failing, t.suppressed, t.lastWarn = false, 0, time.Time{}
	return was
}

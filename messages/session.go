package messages

// Commands and events of a session actor.

// Mount: a subscriber arrived (SPEC M1). The first one joins.
type Mount struct{}

// Unmount: a subscriber left (SPEC M3). The last one leaves.
type Unmount struct{}

// Leave: leave the channel now and refuse further calls (shutdown). The
// session replies LeaveDone to the sender once the phx_leave is queued.
type Leave struct{}

// LeaveDone answers Leave.
type LeaveDone struct{}

// Moved: the session's socket refused the join with "too many channels
// joined"; the endpoint places it on another socket (SPEC K6a).
type Moved struct{ Topic string }

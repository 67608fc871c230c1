package platform

import "context"

// Store keeps loaded functions so that a restart, or another replica, serves
// the same ones. It also owns the short routes: at most one function holds
// /improved/<type>/<name>, and Save enforces that atomically.
type Store interface {
	// Save stores fn, replacing the record with the same key, and, when
	// fn.ShortRoute is set, claims its short path. If another function holds
	// that path it returns a *ConflictError and changes nothing. A function
	// that changes its type, or no longer asks for its short path, gives up
	// the one it held.
	Save(ctx context.Context, fn Function) error
	// Get returns the function with key; ErrFunctionNotFound if none.
	Get(ctx context.Context, key FunctionKey) (Function, error)
	// Delete removes the function and releases its short path;
	// ErrFunctionNotFound if none.
	Delete(ctx context.Context, key FunctionKey) error
	// List returns every stored function, in no particular order.
	List(ctx context.Context) ([]Function, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Changes is a Store that several API processes share: it tells cheaply
// what changed, so that each replica serves what the others load and
// unload.
type Changes interface {
	// Versions returns the Stamp of every stored function, and the store's
	// epoch: a value that changes when the store lost its data (a Redis
	// restarted without persistence), so that replicas write back what
	// they serve instead of taking the empty store for a mass unload.
	Versions(ctx context.Context) (map[FunctionKey]string, string, error)
}

package improvements

import "database/sql"

// Drivers lists database drivers.
func Drivers() []string { return sql.Drivers() }

package improvements

import "plugin"

// Open loads code at run time.
func Open(path string) bool {
	_, err := plugin.Open(path)
	return err == nil
}

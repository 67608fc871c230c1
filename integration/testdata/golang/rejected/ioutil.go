package improvements

import "io/ioutil"

// Read reads a file.
func Read(name string) (string, error) {
	b, err := ioutil.ReadFile(name)
	return string(b), err
}

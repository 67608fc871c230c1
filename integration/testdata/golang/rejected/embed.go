package improvements

//go:embed secret.txt
var secret string

// Secret reads a file through the compiler.
func Secret() string { return secret }

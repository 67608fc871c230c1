package platform

// LanguageGo is a function written in Go (platform/golang).
const LanguageGo = "go"

// RoleBuilder is a container that compiles a Go function: walled like any
// instance, it runs to completion and serves nothing.
const RoleBuilder = "builder"

// Package pybind tests, from Go, the Python side of a function call: how the
// in-container runner (runtimes/python/stargate_runner.py) binds a call's
// query and JSON body to the function's parameters.
//
// It holds tests only. FuzzBinding starts the real runner on the host's
// python3, serving the functions of testdata/fuzzmod.py (one per kind of
// annotation), and sends it arbitrary queries and bodies over its unix
// socket, as the gateway would. Every answer must be JSON of the documented
// shape with a documented status, no input may reach the runner's
// internal_error, no function may be handed a value its annotation does not
// allow, and the runner must outlive every input.
//
// The seed corpus runs with go test ./platform/pybind/; make fuzz explores.
package pybind

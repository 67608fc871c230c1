package improvements

import "reflect"

// Kind inspects a value.
func Kind(v any) string { return reflect.TypeOf(v).Kind().String() }

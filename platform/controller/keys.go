package controller

import (
	"sync"

	"stargate/platform"
)

// keyedMutex serialises work on one function while others proceed.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[platform.FunctionKey]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

func (k *keyedMutex) lock(key platform.FunctionKey) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[platform.FunctionKey]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

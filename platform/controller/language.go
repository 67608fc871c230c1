package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"stargate/platform"
	"stargate/platform/golang"
	"stargate/platform/sandbox"
)

// GoBuilder compiles Go functions (platform/golang.Builder).
type GoBuilder interface {
	BuildFunction(ctx context.Context, fn *platform.Function) (golang.Binary, error)
}

// goSupport is what serving Go functions takes.
type goSupport struct {
	check platform.Validator
	build GoBuilder
	image string
}

// EnableGo serves Go functions too: check validates their source, build
// compiles them, and instances run from image.
func (c *Controller) EnableGo(check platform.Validator, build GoBuilder, image string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.golang = &goSupport{check: check, build: build, image: image}
}

func (c *Controller) goSupport() *goSupport {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.golang
}

// language decides which language's module a load means. A module name
// that exists as both x.py and x.go needs the language field; so does a
// function found in modules of both languages when no module is named.
func (c *Controller) language(ctx context.Context, sb sandbox.Sandbox, req *LoadRequest) (string, error) {
	g := c.goSupport()
	switch req.Language {
	case platform.LanguagePython:
		return req.Language, nil
	case platform.LanguageGo:
		if g == nil {
			return "", platform.Invalid("language", "go functions are not enabled on this platform")
		}
		return req.Language, nil
	case "":
	default:
		return "", platform.Invalid("language", "must be python or go, got %q", clip(req.Language))
	}
	if g == nil {
		return platform.LanguagePython, nil
	}
	if req.Module != "" {
		py, gof := sb.HasFile(req.Module+".py"), sb.HasFile(req.Module+".go")
		switch {
		case py && gof:
			return "", fmt.Errorf("%w: sandbox %s has both %s.py and %s.go; say which with language (python or go)",
				platform.ErrConflict, req.Hash, req.Module, req.Module)
		case gof:
			return platform.LanguageGo, nil
		case !py:
			return "", fmt.Errorf("%w: neither %s.py nor %s.go is in sandbox %s", platform.ErrModuleNotFound, req.Module, req.Module, req.Hash)
		}
		return platform.LanguagePython, nil
	}
	goFiles, err := sb.Sources(".go", c.sourceLimits())
	if err != nil {
		return "", err
	}
	goCands := golang.Candidates(goFiles, req.Function)
	if len(goCands) == 0 {
		return platform.LanguagePython, nil
	}
	// Rare: the function is in a Go file and no module was named; ask the
	// checker whether Python modules define it too.
	pyFiles, err := sb.Sources(".py", c.sourceLimits())
	if err != nil {
		return "", err
	}
	res, err := c.check.Check(ctx, platform.CheckRequest{Language: platform.LanguagePython, Files: pyFiles, Function: req.Function})
	if err != nil {
		return "", err
	}
	if len(goCands) == 1 && len(res.Candidates) == 0 {
		req.Module = goCands[0]
		return platform.LanguageGo, nil
	}
	var all []string
	for _, m := range res.Candidates {
		all = append(all, m+".py")
	}
	for _, m := range goCands {
		all = append(all, m+".go")
	}
	return "", fmt.Errorf("%w: %s is defined in several modules (%s); say which with module_name (and language)",
		platform.ErrConflict, req.Function, strings.Join(all, ", "))
}

// prepareGo checks a Go function and builds it: a compile error is a
// rejection like a policy violation, before anything starts.
func (c *Controller) prepareGo(ctx context.Context, sb sandbox.Sandbox, req LoadRequest) (platform.Function, error) {
	g := c.goSupport()
	files, err := sb.Sources(".go", c.sourceLimits())
	if err != nil {
		return platform.Function{}, err
	}
	res, err := g.check.Check(ctx, platform.CheckRequest{
		Language: platform.LanguageGo, Files: files, Module: req.Module, Function: req.Function,
	})
	if err != nil {
		return platform.Function{}, err
	}
	if req.Module == "" {
		switch len(res.Candidates) {
		case 0:
			return platform.Function{}, fmt.Errorf("%w: no Go module in sandbox %s defines a top-level function %s", platform.ErrFunctionNotFound, req.Hash, req.Function)
		case 1:
			req.Module = res.Module
		default:
			return platform.Function{}, fmt.Errorf("%w: %s is defined in several Go modules (%s); say which with module_name",
				platform.ErrConflict, req.Function, strings.Join(res.Candidates, ", "))
		}
	}
	fn, err := c.checked(req, platform.LanguageGo, files, res)
	if err != nil {
		return fn, err
	}
	if _, err := g.build.BuildFunction(ctx, &fn); err != nil {
		return platform.Function{}, err
	}
	return fn, nil
}

// goInstance is the spec of a Go function's instance: its binary, from the
// builder's cache (built again if the cache lost it).
func (c *Controller) goInstance(ctx context.Context, fn *platform.Function, sockDir, sandboxDir string) (platform.InstanceSpec, error) {
	g := c.goSupport()
	if g == nil {
		return platform.InstanceSpec{}, errors.New("go functions are not enabled on this platform")
	}
	bin, err := g.build.BuildFunction(ctx, fn)
	if err != nil {
		return platform.InstanceSpec{}, err
	}
	return golang.Instance(g.image, fn, golang.InstanceDirs{Socket: sockDir, Binary: bin.Dir, Sandbox: sandboxDir},
		c.opts.NanoCPUs, c.opts.PidsLimit), nil
}

// pruneGoBinaries drops built binaries no loaded Go function uses.
func (c *Controller) pruneGoBinaries(ctx context.Context) {
	g := c.goSupport()
	if g == nil {
		return
	}
	pruner, ok := g.build.(interface {
		Prune(keep map[string]bool) error
	})
	if !ok {
		return
	}
	keep := map[string]bool{}
	for _, fn := range c.Functions() {
		if fn.Language != platform.LanguageGo {
			continue
		}
		bin, err := g.build.BuildFunction(ctx, &fn) // a cache hit: just the key
		if err != nil {
			return // unsure what is in use: keep everything
		}
		keep[bin.Key] = true
	}
	if err := pruner.Prune(keep); err != nil {
		c.log.Warn("prune Go binaries", "err", err)
	}
}

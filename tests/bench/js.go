package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The official JavaScript client: `phoenix` 1.8 and `ws` from npm, installed
// into a cache folder outside the repository (nothing with registry URLs is
// committed), and tests/bench/js/client.mjs copied beside them.
const (
	jsPackages     = "phoenix@1.8 ws@8"
	npmTimeout     = 3 * time.Minute
	jsCacheDirName = "phx-bench-js"
)

// setupJS prepares the JS client. It returns a reason instead of a spec when
// the client must be skipped (no node or npm, install failed).
func setupJS(ctx context.Context, root string, fresh bool) (*clientSpec, string) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "node not found in PATH: the official JS client is skipped"
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, "npm not found in PATH: the official JS client is skipped"
	}
	dir := filepath.Join(os.TempDir(), jsCacheDirName)
	if fresh {
		_ = os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Sprintf("JS client skipped: %v", err)
	}
	if !jsInstalled(dir) {
		ictx, cancel := context.WithTimeout(ctx, npmTimeout)
		defer cancel()
		args := append([]string{"install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", dir},
			strings.Fields(jsPackages)...)
		cmd := exec.CommandContext(ictx, npm, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil || !jsInstalled(dir) {
			return nil, fmt.Sprintf("npm install %s failed (%v): the official JS client is skipped\n%s", jsPackages, err, tail(string(out), 1500))
		}
	}
	src, err := os.ReadFile(filepath.Join(root, "tests", "bench", "js", "client.mjs"))
	if err != nil {
		return nil, fmt.Sprintf("JS client skipped: %v", err)
	}
	script := filepath.Join(dir, "client.mjs")
	if err := os.WriteFile(script, src, 0o644); err != nil {
		return nil, fmt.Sprintf("JS client skipped: %v", err)
	}
	nodeVersion := "node ?"
	if out, err := exec.CommandContext(ctx, node, "--version").Output(); err == nil {
		nodeVersion = "node " + strings.TrimSpace(string(out))
	}
	version := fmt.Sprintf("phoenix %s + ws %s, %s", pkgVersion(dir, "phoenix"), pkgVersion(dir, "ws"), nodeVersion)
	return &clientSpec{
		kind:    "js",
		version: version,
		argv: func(c benchCase, url string) []string {
			return append([]string{node, "--expose-gc", script}, c.args(url)...)
		},
	}, ""
}

// jsInstalled reports whether phoenix 1.8 and ws are in dir/node_modules.
func jsInstalled(dir string) bool {
	v := pkgVersion(dir, "phoenix")
	return strings.HasPrefix(v, "1.8.") && pkgVersion(dir, "ws") != "?"
}

// pkgVersion reads node_modules/<name>/package.json's version ("?" if absent).
func pkgVersion(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
	if err != nil {
		return "?"
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &p) != nil || p.Version == "" {
		return "?"
	}
	return p.Version
}

// Package ext is Traefik's routing-configuration extension point (pkg/config/dynamic/ext in
// github.com/traefik/traefik, its own module, not served by the Go module proxy). Same types as upstream.
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}

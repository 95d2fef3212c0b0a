package faultproxy

import "errors"

var (
	// ErrBadTarget is matched by errors about a target address that is not host:port.
	ErrBadTarget = errors.New("faultproxy: bad target address")
	// ErrBadOption is matched by errors about an invalid option or control value.
	ErrBadOption = errors.New("faultproxy: bad option")
	// ErrClosed is returned by DialContext once the proxy is closed.
	ErrClosed = errors.New("faultproxy: proxy closed")
	// ErrRefused is returned by DialContext while RefuseNew is on.
	ErrRefused = errors.New("faultproxy: connection refused")
)

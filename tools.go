//go:build tools

// Package phoenix pins tool and library dependencies before their first use.

package phoenix

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/asynkron/protoactor-go/scheduler"
	_ "github.com/gorilla/websocket"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
)

package main

import (
	"github.com/rvct/phoenix/supervisor"
)

// The seed's chat store, as its lifecycle section assembles it.
type (
	chatMessage struct {
		ID         string `json:"id"`
		Body       string `json:"body"`
		InsertedAt string `json:"insertedAt"`
	}
	chatValue struct {
		Messages []chatMessage `json:"messages"`
	}
	chatJoinOk struct {
		Messages []chatMessage `json:"messages"`
	}
	sendPayload struct {
		Body string `json:"body"`
	}
	sendOk    struct{}
	sendError struct {
		Reason string `json:"reason,omitempty"`
	}
)

// chatConfig is the seed's store: initial value {messages: []}, the join
// reply replaces the messages, new_msg appends one.
func chatConfig(topic string) supervisor.Config[chatValue] {
	return supervisor.Config[chatValue]{
		Topic: topic,
		Value: &chatValue{Messages: []chatMessage{}},
		Connect: supervisor.Connect[chatValue]{
			Ok: supervisor.OnJoin(func(_ *chatValue, r chatJoinOk) chatValue {
				if r.Messages == nil {
					r.Messages = []chatMessage{}
				}
				return chatValue{Messages: r.Messages}
			}),
		},
		Events: supervisor.Events[chatValue]{
			"new_msg": supervisor.On(func(v *chatValue, m chatMessage) chatValue {
				var msgs []chatMessage
				if v != nil {
					msgs = v.Messages
				}
				return chatValue{Messages: append(append([]chatMessage{}, msgs...), m)}
			}),
		},
	}
}

// seedState is a State in the seed's shape: the six fields, lower case.
type seedState struct {
	Value      *chatValue      `json:"value"`
	Status     string          `json:"status"`
	Error      *errorJSON      `json:"error"`
	Processing map[string]bool `json:"processing"`
	Errors     map[string]any  `json:"errors"`
	Timeouts   map[string]bool `json:"timeouts"`
}

func seedStateOf(s supervisor.State[chatValue]) seedState {
	return seedState{
		Value:      s.Value,
		Status:     s.Status.String(),
		Error:      stateError(s.Error),
		Processing: s.Processing,
		Errors:     s.Errors,
		Timeouts:   s.Timeouts,
	}
}

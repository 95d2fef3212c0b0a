// Package phxtest is an in-process Phoenix-protocol server for tests.
package phxtest

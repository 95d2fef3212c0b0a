package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of phx.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the embedded Phoenix-protocol server (the demo app)", runServe},
		{"demo", "run the seed's chat store against the embedded server, printing every state", runDemo},
		{"listen", "join topics and print their states and events as JSON lines", runListen},
		{"call", "join a topic, push one event, print the reply", runCall},
		{"load", "generate load: sockets, sessions and calls, with a latency report", runLoad},
		{"bridge", "forward topics' events to a sink, losing and duplicating nothing", runBridge},
	}
}

// run is the whole program: tests drive it in-process. It prints its own
// errors to stderr ("phx CMD: ..."); the returned error carries the exit
// code (see exitCode).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return reported(exitUsage, errors.New("no command given"))
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil && !isReported(err) {
			fmt.Fprintf(stderr, "phx %s: %v\n", name, err)
		}
		return err
	}
	fmt.Fprintf(stderr, "phx: unknown command %q\n\n", name)
	printUsage(stderr)
	return reported(exitUsage, fmt.Errorf("unknown command %q", name))
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "phx: supervised, reactive Phoenix Channels from the command line")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: phx COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Common flags: --url (a Phoenix socket URL such as ws://127.0.0.1:4000/socket), --param k=v")
	fmt.Fprintln(w, "(repeatable socket params), --token (auth-token subprotocol), --log-level, --json.")
	fmt.Fprintln(w, "Flags may come before or after the arguments. Run `phx COMMAND -h` for a command's")
	fmt.Fprintln(w, "flags, output and exit codes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 ok; 4 bad usage, bad flags or URL, or no connection; call adds")
	fmt.Fprintln(w, "1 (error reply), 2 (timeout), 3 (join failed) and 130 (interrupted).")
}

// parseFlags parses flags that may come before, between or after the
// positional arguments, returning the positional ones. -h prints the
// command's help to stdout and returns flag.ErrHelp; a bad flag prints a
// short message to stderr and returns a reported usage error.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, flag.ErrHelp
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\nRun `%s -h` for usage.\n", fs.Name(), err, fs.Name())
		return nil, reported(exitUsage, err)
	}
	return pos, nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, returning the positional ones. "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at "--" (consumed) or at the first non-flag.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet makes a FlagSet whose usage prints the command's synopsis,
// description and flags to the FlagSet's output.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("phx "+name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: phx %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

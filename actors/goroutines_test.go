package actors

import (
	"bytes"
	"runtime"
)

// bubbleGoroutines counts the goroutines of the caller's synctest bubble.
// runtime.NumGoroutine also counts goroutines outside the bubble (an earlier
// test's, still ending), which made goroutine-count assertions flaky.
func bubbleGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	// The first header is the caller's: "goroutine N [running, synctest bubble B]:".
	first, _, _ := bytes.Cut(buf, []byte("\n"))
	i := bytes.Index(first, []byte("synctest bubble "))
	if i < 0 {
		return runtime.NumGoroutine()
	}
	tag := first[i : len(first)-2] // "synctest bubble B"
	count := 0
	for _, line := range bytes.Split(buf, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("goroutine ")) && bytes.Contains(line, tag) &&
			bytes.HasSuffix(line, []byte("]:")) {
			rest := line[bytes.Index(line, tag)+len(tag):]
			if bytes.Equal(rest, []byte("]:")) {
				count++
			}
		}
	}
	return count
}

package actors

import (
	"bufio"
	"reflect"

	"github.com/gorilla/websocket"
)

// gorillaReader returns the read buffer gorilla keeps for ws (its
// unexported br field, gorilla v1.5.3), or nil when it cannot be found: the
// read pump then never parks outside gorilla (see bufConn.waitReadable).
// Only Buffered is called on it, by the read pump, which is gorilla's only
// reader.
func gorillaReader(ws *websocket.Conn) *bufio.Reader {
	v := reflect.ValueOf(ws)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	f := v.Elem().FieldByName("br")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*bufio.Reader]() {
		return nil
	}
	return (*bufio.Reader)(f.UnsafePointer())
}

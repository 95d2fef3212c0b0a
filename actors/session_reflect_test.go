package actors

import "reflect"

func reflectPointer(m any) uintptr { return reflect.ValueOf(m).Pointer() }

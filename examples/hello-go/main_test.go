package main

import (
	"testing"

	"btm.dev/examples/greet"
)

func TestGreeting(t *testing.T) {
	if got := greet.Hello("Ada"); got != "Hello, Ada!" {
		t.Fatalf("greet.Hello(\"Ada\") = %q", got)
	}
}

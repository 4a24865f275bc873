package main

import "testing"

func TestGreeting(t *testing.T) {
	if got := greeting(); got != "Hello from btm-binary-name" {
		t.Fatalf("greeting() = %q", got)
	}
}

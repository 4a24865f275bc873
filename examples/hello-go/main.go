// Command hello-go greets whoever it is given: the Go example of BTM's builders.
package main

import (
	"fmt"
	"os"
	"runtime"

	"btm.dev/examples/greet"
)

// version is set at link time by BTM (btm.json "go": {"versionVariable": "main.version"}).
var version = "dev"

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "--version" {
		fmt.Println(version)
		return
	}
	name := "world"
	if len(args) > 0 {
		name = args[0]
	}
	fmt.Printf("%s (%s/%s)\n", greet.Hello(name), runtime.GOOS, runtime.GOARCH)
}

// Command btm-binary-name: btm-package-description
package main

import (
	"fmt"
	"os"
)

// version is set at link time by BTM (btm.json "go": {"versionVariable": "main.version"}).
var version = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Printf("btm-binary-name %s\n", version)
		return
	}
	fmt.Println(greeting())
}

func greeting() string {
	return "Hello from btm-binary-name"
}

// Package greet is hello-go's dependency, vendored: the go builder builds with -mod=vendor when
// vendor/modules.txt is present and fetches nothing.
package greet

// Hello is the greeting for name.
func Hello(name string) string {
	return "Hello, " + name + "!"
}

module btm.dev/examples/hello-go

go 1.19

require btm.dev/examples/greet v1.0.0

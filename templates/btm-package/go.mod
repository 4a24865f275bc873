module btm-package-name

go 1.19
